//! `ratesim plan`: project demand month by month under a growth rate, find
//! when each limit dimension crosses 70 %, 80 % and 100 % (and which one
//! binds first: the earliest 100 % crossing, in a tie the dimension furthest
//! over its limit that month), and search — with the simulator, not a
//! linear guess — for the smallest tier or the explicit limits that keep the
//! SLO at the target months.
//!
//! # The per-dimension search
//!
//! Each limited dimension (RPM, ITPM, OTPM, and TPM on pools that have it)
//! of each pool is searched on its own, and never below today's limit:
//!
//! 1. **Generous start.** Every dimension is set to max(current, g × the
//!    month's peak-minute demand in it), rounded up to two significant
//!    figures, for g = 2, 4, …, 64 — the first g whose run keeps the SLO.
//!    (TPM's demand is input plus output.) If even g = 64 misses, the SLO is
//!    unreachable ([`PlanError::Unreachable`]).
//! 2. **One dimension at a time**, pools in order, then RPM, ITPM, OTPM,
//!    TPM: with the dimensions already searched at their found values and
//!    the rest at their generous ones, run once at today's limit; if the SLO
//!    holds the dimension says **keep**. Otherwise bisect over the candidate
//!    values — today's limit, then every two-significant-figure value above
//!    it up to the generous one — for the smallest that keeps the SLO
//!    (at most 12 runs: there are fewer than 4,096 candidates in a `u64`).
//! 3. One last run at the found limits gives the outcome reported.
//!
//! The bisection assumes more of a limit never hurts; the last run is the
//! judge, and its verdict is what the plan reports. At most
//! `1 + 4 + 6 + 13 × dimensions + 1` runs per target month ([`budget`]).

mod search;
mod types;

use jiff::civil::DateTime;

pub use search::{Demand, SEARCH_DIMS, demand, limit_of, scaled, search_dims};
pub use types::*;

use search::{MAX_STEPS, run_one, search_limits, searched, with_limits};

use crate::engine::SimTime;
use crate::model::PoolLimits;
use crate::model::catalog;
use crate::scenario::Scenario;
use crate::sim::SimError;
use crate::strategy::{Preset, StrategySpec};
use crate::text::num::round;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A run could not start (a scenario edited in code).
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Even limits of 64× the month's peak demand miss the SLO: the latency
    /// target is below what the workload's own service times allow, so no
    /// limit increase helps.
    #[error(
        "month {month}: no limits up to 64× peak demand keep the SLO ({slo}); the SLO may be unreachable for this workload — loosen a class's rule or its attainment"
    )]
    Unreachable {
        /// The target month.
        month: u32,
        /// The SLO in words.
        slo: String,
    },
}

/// Utilisation thresholds a plan reports crossings for.
pub const THRESHOLDS: [f64; 3] = [0.7, 0.8, 1.0];

/// The rate-limit dimensions a plan projects.
pub const DIMS: [&str; 3] = ["rpm", "itpm", "otpm"];

/// How the strategy a plan simulates was chosen.
pub enum StrategyChoice<'a> {
    /// Named on the command line.
    Given(&'a StrategySpec),
    /// The scenario's best that keeps the SLO at today's demand and
    /// limits, or the SDK default when none does.
    Best,
}

/// The scenario's strategy with the highest SLO attainment today (then the
/// fewest 429s, then file order) among those that keep the SLO; the SDK's
/// default retry when none does — what a team runs unless it has chosen.
fn choose_strategy(
    s: &Scenario,
    slo: &Slo,
    tick: &dyn Fn(),
) -> Result<(StrategySpec, String), PlanError> {
    let mut best: Option<(f64, u64, &StrategySpec)> = None;
    for spec in &s.strategies {
        let r = run_one(s, spec)?;
        tick();
        if !slo.holds(&r) {
            continue;
        }
        let a = r.total.slo_attainment.flatten().unwrap_or(1.0);
        let n = r.total.rate_limited.total;
        if best.is_none_or(|(ba, bn, _)| a > ba || (a == ba && n < bn)) {
            best = Some((a, n, spec));
        }
    }
    Ok(match best {
        Some((_, _, spec)) => (
            spec.clone(),
            format!(
                "the scenario's strategy with the highest SLO attainment among those that keep the SLO at today's demand and limits (of {})",
                s.strategies.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
        None => (
            Preset::SdkDefault.spec(),
            "the official SDKs' default retry (none of the scenario's strategies keeps the SLO at today's demand and limits)".to_string(),
        ),
    })
}

/// `start` + `months` as `YYYY-MM`.
fn calendar(start: Option<DateTime>, months: u32) -> Option<String> {
    let d = start?.date().first_of_month();
    let d = d
        .checked_add(jiff::Span::new().months(months as i64))
        .ok()?;
    Some(format!("{:04}-{:02}", d.year(), d.month()))
}

/// The bucket size the sensitivity run tries: 5 s (a short, strict bucket)
/// unless the scenario already uses 5 s or less, then 60 s.
pub fn alternative_burst(burst: SimTime) -> SimTime {
    if burst > SimTime::from_secs(5) {
        SimTime::from_secs(5)
    } else {
        SimTime::from_secs(60)
    }
}

/// The SLO in one line, for errors.
pub(super) fn slo_words(s: &Scenario, slo: &Slo) -> String {
    let rules: Vec<String> = s
        .sim
        .classes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| slo.rules.rule(i).map(|r| format!("{c} {}", r.describe())))
        .collect();
    format!(
        "{:.1}% of requests: {}",
        slo.rules.attainment * 100.0,
        rules.join("; ")
    )
}

/// The SLO as the plan states it.
fn slo_spec(s: &Scenario, slo: &Slo) -> SloSpec {
    let words = crate::report::SloReport::from_rules(&s.sim.classes, &slo.rules);
    SloSpec {
        attainment: words.attainment,
        classes: words.classes,
        max_429_share: slo.max_429_share,
    }
}

/// Official tiers, catalogue order, that publish limits for every pool.
fn tier_candidates(current: &[(String, PoolLimits)]) -> Vec<(&'static str, Vec<PoolLimits>)> {
    catalog::PROFILES
        .iter()
        .filter(|p| p.official)
        .filter_map(|p| {
            let limits: Option<Vec<PoolLimits>> = current
                .iter()
                .map(|(pool, l)| {
                    catalog::tier_limits(p.name, pool).map(|tl| PoolLimits {
                        max_concurrent: l.max_concurrent,
                        ..tl
                    })
                })
                .collect();
            limits.map(|l| (p.name, l))
        })
        .collect()
}

/// The naming scheme of an official profile: Usage Tiers or Start/Build/Scale.
fn scheme(tier: &str) -> u8 {
    u8::from(!tier.starts_with("tier"))
}

fn monthly_limit(tier: &str) -> Option<u64> {
    catalog::profile(tier).and_then(|p| p.spend.monthly_limit_usd)
}

/// Builds the plan. The scenario must carry the SLO's rules
/// (`s.sim.slo`), so that every run judges its requests. `tick` is called
/// after each simulation (progress).
pub fn plan(
    s: &Scenario,
    choice: StrategyChoice,
    growth: f64,
    months: u32,
    slo: Slo,
    tick: &dyn Fn(),
) -> Result<Plan, PlanError> {
    let mut s = s.clone();
    s.sim.slo = Some(slo.rules.clone());
    let s = &s;
    let (spec, strategy_reason) = match choice {
        StrategyChoice::Given(spec) => (spec.clone(), "named with --strategy".to_string()),
        StrategyChoice::Best => choose_strategy(s, &slo, tick)?,
    };
    let spec = &spec;
    let month_scale = MONTH_DAYS * 24.0 * 3600.0 / s.sim.horizon.as_secs_f64();
    let current: Vec<(String, PoolLimits)> = s.sim.provider.pools.clone();
    let projection = project(s, growth, months, month_scale, tick)?;
    let crossings = crossings_of(s, &projection);
    let binds_first = binds_first_of(s, &projection, &crossings);
    let limit = monthly_limit(&s.tier);
    let binds_month = limit.and_then(|l| {
        projection
            .iter()
            .find(|m| m.cost_per_month_usd > l as f64)
            .map(|m| m.month)
    });
    let spend = SpendCheck {
        tier: s.tier.clone(),
        monthly_limit_usd: limit,
        cost_now_usd: projection[0].cost_per_month_usd,
        binds_month,
        binds_calendar: binds_month.and_then(|m| calendar(s.start, m)),
    };
    let tiers = tier_candidates(&current);
    let mut targets = Vec::new();
    let mut wanted: Vec<u32> = [6, 12].into_iter().filter(|&m| m <= months).collect();
    if wanted.is_empty() {
        wanted.push(months);
    }
    for &month in &wanted {
        let factor = (1.0 + growth).powi(month as i32);
        let grown = scaled(s, factor);
        let at_current = Outcome::of(&run_one(&grown, spec)?, &slo, month_scale);
        tick();
        let mut checks = Vec::new();
        for (t, limits) in &tiers {
            let o = Outcome::of(
                &run_one(&with_limits(&grown, limits), spec)?,
                &slo,
                month_scale,
            );
            tick();
            let cap = monthly_limit(t);
            checks.push(TierCheck {
                tier: t.to_string(),
                slo_met: o.slo_met,
                slo_attainment: o.slo_attainment,
                monthly_spend_limit_usd: cap,
                covers_spend: cap.is_none_or(|c| o.cost_per_month_usd <= c as f64),
            });
        }
        let mut smallest_tiers: Vec<String> = Vec::new();
        for sch in [0, 1] {
            if let Some(c) = checks.iter().find(|c| scheme(&c.tier) == sch && c.slo_met) {
                smallest_tiers.push(c.tier.clone());
            }
        }
        let peaks = &projection[month as usize].pools;
        let (limits, dimensions) = search_limits(&grown, spec, &slo, month, peaks, tick)?;
        let r = run_one(&with_limits(&grown, &limits), spec)?;
        tick();
        targets.push(Target {
            month,
            calendar: calendar(s.start, month),
            at_current,
            tiers: checks,
            smallest_tiers,
            requested: current.iter().map(|(n, _)| n.clone()).zip(limits).collect(),
            dimensions,
            at_requested: Outcome::of(&r, &slo, month_scale),
        });
    }
    // The last target again under a second bucket size.
    let bursts = s.sim.provider.limiter.burst;
    // The input-token bucket stands for the scenario's bucket size; the
    // alternative sets every dimension to one size.
    let burst = bursts.itpm;
    let alt = alternative_burst(burst);
    let last = *wanted.last().unwrap_or(&months);
    let mut other = scaled(s, (1.0 + growth).powi(last as i32));
    other.sim.provider.limiter.burst = crate::model::Bursts::uniform(alt);
    let sensitivity = match search_limits(
        &other,
        spec,
        &slo,
        last,
        &projection[last as usize].pools,
        tick,
    ) {
        Ok((_, dimensions)) => Some(Sensitivity {
            burst_s: burst.as_secs_f64(),
            alternative_burst_s: alt.as_secs_f64(),
            month: last,
            dimensions,
        }),
        // Unreachable under the other bucket: said as no figures.
        Err(PlanError::Unreachable { .. }) => None,
        Err(e) => return Err(e),
    };
    let request_estimate = request_spread(s, growth, months, month_scale, tick)?;
    let p = &s.sim.provider;
    let mut assumptions = vec![
        format!(
            "bucket size: each limit refills continuously into a bucket holding {} of it (Anthropic does not publish the size; `limiter.burst`); the ask under {} s in every dimension is shown as a sensitivity",
            if bursts.is_uniform() {
                format!("{} s", burst.as_secs_f64())
            } else {
                format!(
                    "RPM {} s, ITPM {} s, OTPM {} s",
                    bursts.rpm.as_secs_f64(),
                    bursts.itpm.as_secs_f64(),
                    bursts.otpm.as_secs_f64()
                )
            },
            alt.as_secs_f64()
        ),
        format!(
            "OTPM accounting: {} (`limiter.otpm_accounting`)",
            match p.limiter.otpm_accounting {
                crate::model::OtpmAccounting::Realtime =>
                    "output tokens count as they are generated; max_tokens does not count",
                crate::model::OtpmAccounting::ReserveMaxTokens =>
                    "max_tokens is reserved at admission and the unused part returned",
            }
        ),
        format!("strategy: `{}`, {strategy_reason}", spec.name),
        format!(
            "demand: the simulated {} window is representative of the month; growth multiplies arrivals; peak-minute demand is measured with no limits in the way",
            human_window(s.sim.horizon)
        ),
        format!(
            "cost: list prices ({}), the simulated window scaled to a {MONTH_DAYS:.2}-day month",
            catalog::PRICES_SOURCE
        ),
    ];
    if let Some(x) = &request_estimate {
        assumptions.push(format!(
            "request count: an estimate for {} of {} streams (the data has tokens, not requests); the figures above use it as the scenario states it, and the crossings are shown again at both ends of its range",
            x.streams.len(),
            s.sim.streams.len()
        ));
    }
    Ok(Plan {
        schema_version: 2,
        ratesim: crate::report::Provenance::current(),
        scenario: s.name.clone(),
        strategy: spec.name.clone(),
        strategy_reason,
        start: s.start.map(|d| d.date().to_string()),
        growth_per_month: growth,
        months,
        slo: slo_spec(s, &slo),
        current,
        assumptions,
        catalogue_date: catalogue_date(&s.tier),
        projection,
        crossings,
        binds_first,
        spend,
        targets,
        sensitivity,
        request_estimate,
    })
}

/// Month-by-month demand and cost at today's limits.
fn project(
    s: &Scenario,
    growth: f64,
    months: u32,
    month_scale: f64,
    tick: &dyn Fn(),
) -> Result<Vec<Month>, PlanError> {
    let current = &s.sim.provider.pools;
    let mut projection = Vec::new();
    for m in 0..=months {
        let factor = (1.0 + growth).powi(m as i32);
        let d = demand(&scaled(s, factor))?;
        tick();
        projection.push(Month {
            month: m,
            calendar: calendar(s.start, m),
            factor: round(factor, 6),
            cost_per_month_usd: round(d.cost_usd * month_scale, 2),
            pools: current
                .iter()
                .zip(&d.peaks)
                .map(|((name, l), pk)| PoolMonth {
                    pool: name.clone(),
                    peak_per_min: pk.map(|x| round(x, 3)),
                    utilisation: [0, 1, 2]
                        .map(|d| limit_of(l, d).map(|lim| round(pk[d] / lim as f64, 4))),
                })
                .collect(),
        });
    }
    Ok(projection)
}

/// When each limited dimension of each pool first reaches each threshold.
fn crossings_of(s: &Scenario, projection: &[Month]) -> Vec<Crossing> {
    let current = &s.sim.provider.pools;
    let mut crossings = Vec::new();
    for (p, (name, limits)) in current.iter().enumerate() {
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(limits, d).is_none() {
                continue;
            }
            for th in THRESHOLDS {
                let month = projection
                    .iter()
                    .find(|m| m.pools[p].utilisation[d].is_some_and(|u| u >= th))
                    .map(|m| m.month);
                crossings.push(Crossing {
                    pool: name.clone(),
                    dimension: dim.to_string(),
                    threshold: th,
                    month,
                    calendar: month.and_then(|m| calendar(s.start, m)),
                });
            }
        }
    }
    crossings
}

/// The earliest 100 % crossing; among crossings in the same month, the
/// dimension furthest over its limit then.
fn binds_first_of(s: &Scenario, projection: &[Month], crossings: &[Crossing]) -> Option<Binding> {
    let current = &s.sim.provider.pools;
    let util = |c: &Crossing, m: u32| -> f64 {
        let p = current.iter().position(|(n, _)| *n == c.pool).unwrap_or(0);
        let d = DIMS.iter().position(|d| *d == c.dimension).unwrap_or(0);
        projection[m as usize].pools[p].utilisation[d].unwrap_or(0.0)
    };
    crossings
        .iter()
        .filter(|c| c.threshold == 1.0)
        .filter_map(|c| c.month.map(|m| (m, util(c, m), c)))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(month, _, c)| Binding {
            pool: c.pool.clone(),
            dimension: c.dimension.clone(),
            month,
            calendar: calendar(s.start, month),
        })
}

/// The streams whose request count is an estimate.
pub fn estimated_streams(s: &Scenario) -> Vec<EstimatedStream> {
    s.sim
        .streams
        .iter()
        .filter_map(|st| {
            let t = st.trace.as_ref()?;
            Some(EstimatedStream {
                stream: st.name.clone(),
                requests: t.requests,
                range: t.requests_range?,
            })
        })
        .collect()
}

/// The projection with every estimated stream at each end of its range.
fn request_spread(
    s: &Scenario,
    growth: f64,
    months: u32,
    month_scale: f64,
    tick: &dyn Fn(),
) -> Result<Option<RequestSpread>, PlanError> {
    let streams = estimated_streams(s);
    if streams.is_empty() {
        return Ok(None);
    }
    let mut ends = Vec::new();
    for (end, i) in [("low", 0), ("high", 1)] {
        let mut at = s.clone();
        for st in &mut at.sim.streams {
            if let Some(t) = &mut st.trace
                && let Some(r) = t.requests_range
            {
                t.requests = r[i];
            }
        }
        let projection = project(&at, growth, months, month_scale, tick)?;
        let crossings = crossings_of(&at, &projection);
        ends.push(SpreadEnd {
            end: end.to_string(),
            peak_now: projection[0].pools.iter().map(|p| p.peak_per_min).collect(),
            binds_first: binds_first_of(&at, &projection, &crossings),
            crossings,
        });
    }
    Ok(Some(RequestSpread { streams, ends }))
}

/// The date the scenario's tier was read from Anthropic's pages.
fn catalogue_date(tier: &str) -> String {
    catalog::profile(tier).map_or_else(String::new, |p| p.read.to_string())
}

/// `2 h`, `10 min`, `90 s`.
fn human_window(d: SimTime) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{s} s")
    }
}

/// How many simulations [`plan`] runs at most (for a progress bar), for a
/// scenario with `strategies` strategies to choose from (0 when one is
/// given), `tiers` official tiers and `dims` limited dimensions (RPM, ITPM,
/// OTPM, TPM): the choice, one demand run per month, then per target month
/// 1 at current limits, each tier, 6 generous starts, 1 + 12 per dimension
/// and 1 at the requested limits; the sensitivity search; and, when the
/// request count is an estimate, the projection twice more.
pub fn budget(months: u32, strategies: usize, tiers: usize, dims: usize, estimated: bool) -> u64 {
    let targets = if months >= 12 { 2 } else { 1 };
    let search = 6 + dims as u64 * (1 + MAX_STEPS);
    let projection = months as u64 + 1;
    strategies as u64
        + projection * if estimated { 3 } else { 1 }
        + targets * (1 + tiers as u64 + search + 1)
        + search
}

/// Official tiers the plan tries for this scenario, for [`budget`].
pub fn tier_count(s: &Scenario) -> usize {
    tier_candidates(&s.sim.provider.pools).len()
}

/// The limited dimensions of a scenario's pools, for [`budget`].
pub fn limited_dims(s: &Scenario) -> usize {
    s.sim
        .provider
        .pools
        .iter()
        .map(|(_, l)| searched(l).iter().flatten().count())
        .sum()
}
