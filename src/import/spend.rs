//! What the imported traffic spends, at list prices, so the scenario's tier
//! carries a monthly spend limit the organisation could actually be under:
//! a tier-1 cap of $100 under traffic that spends $20,000 a month would
//! answer every request after the first day with a spend 429.

use super::streams::Streams;
use crate::model::catalog;

/// Days in the average month (the unit the catalogue's spend limits are in).
const MONTH_DAYS: f64 = 365.25 / 12.0;

/// The data's list-price spend, scaled from its span to a month. Cache
/// writes are priced at the 5-minute rate (the data does not always split
/// the TTLs); Batch API streams at half price.
pub fn monthly_spend_usd(streams: &Streams) -> f64 {
    let Some((first, last)) = streams.span() else {
        return 0.0;
    };
    let minutes = ((last - first) / 60_000_000_000 + 1) as f64;
    let cost: f64 = streams
        .map
        .iter()
        .map(|(key, s)| {
            let p = &s.model.prices;
            let t = &s.total;
            let usd = (t.uncached as f64 * p.input
                + t.read as f64 * p.cache_read
                + t.write as f64 * p.cache_write_5m
                + t.output as f64 * p.output)
                / 1e6;
            if key.batch {
                usd * catalog::BATCH_DISCOUNT
            } else {
                usd
            }
        })
        .sum();
    cost * MONTH_DAYS * 24.0 * 60.0 / minutes
}

/// The smallest Usage Tier (1–4) whose monthly spend limit covers
/// `monthly_usd`, or `None` when even tier 4's does not (an organisation on
/// monthly invoicing).
pub fn tier_for(monthly_usd: f64) -> Option<(&'static str, u64)> {
    ["tier1", "tier2", "tier3", "tier4"]
        .into_iter()
        .find_map(|t| {
            let cap = catalog::profile(t)?.spend.monthly_limit_usd?;
            (monthly_usd <= cap as f64).then_some((t, cap))
        })
}
