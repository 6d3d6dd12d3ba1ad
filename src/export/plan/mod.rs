//! A capacity plan as text, JSON, CSV (the month-by-month projection) and
//! as a limit-increase request in Markdown.

mod estimate;

use estimate::{estimated_words, spread_binds_words, spread_rows};

use crate::analysis::plan::{
    Change, Crossing, DIMS, DimensionRequest, Outcome, Plan, Target, TierCheck, limit_of,
};
use crate::export::num::{EMPTY, int, opt_duration_ms, trimmed};
use crate::export::report_csv::field;
use crate::export::text_table::{Align, TextTable};
use crate::export::{Format, Render, Unsupported};
use crate::model::PoolLimits;

fn pct(x: Option<f64>) -> String {
    x.map_or(EMPTY.into(), |u| crate::export::num::pct(u, 0))
}

fn pct1(x: f64) -> String {
    crate::export::num::pct(x, 1)
}

fn pct2(x: Option<f64>) -> String {
    x.map_or(EMPTY.into(), |u| crate::export::num::pct(u, 2))
}

fn usd(x: f64) -> String {
    format!("${}", crate::export::num::fixed(x, 0))
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// `2027-03` → `March 2027`.
pub fn month_name(calendar: &str) -> String {
    let mut it = calendar.split('-');
    let (Some(y), Some(m)) = (it.next(), it.next()) else {
        return calendar.to_string();
    };
    match m.parse::<usize>() {
        Ok(i @ 1..=12) => format!("{} {y}", MONTHS[i - 1]),
        _ => calendar.to_string(),
    }
}

/// `March 2027 (month 3)`, `month 3`, or `now` for month 0.
pub(super) fn when(month: u32, calendar: Option<&str>) -> String {
    match (month, calendar) {
        (0, Some(c)) => format!("now ({})", month_name(c)),
        (0, None) => "now".into(),
        (m, Some(c)) => format!("{} (month {m})", month_name(c)),
        (m, None) => format!("month {m}"),
    }
}

/// `March 2027` or `month 3` (a column cell).
fn when_short(month: u32, calendar: Option<&str>) -> String {
    match (month, calendar) {
        (0, _) => "now".into(),
        (_, Some(c)) => month_name(c),
        (m, None) => format!("month {m}"),
    }
}

fn limits_words(l: &PoolLimits) -> String {
    let f = |x: Option<u64>, unit: &str| x.map(|v| format!("{} {unit}", int(v)));
    [
        f(l.rpm, "RPM"),
        f(l.itpm, "ITPM"),
        f(l.otpm, "OTPM"),
        f(l.tpm, "TPM"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

fn crossing_words(p: &Plan, pool: &str, dim: &str, th: f64) -> String {
    crossing_in(&p.crossings, p.months, pool, dim, th)
}

pub(super) fn crossing_in(
    crossings: &[Crossing],
    months: u32,
    pool: &str,
    dim: &str,
    th: f64,
) -> String {
    crossings
        .iter()
        .find(|c| c.pool == pool && c.dimension == dim && c.threshold == th)
        .map_or("-".into(), |c| match c.month {
            Some(m) => when_short(m, c.calendar.as_deref()),
            None => format!("not within {months} months"),
        })
}

/// `keep 50` or `raise to 36,000 (+20 %)`.
fn change_words(d: &DimensionRequest) -> String {
    match d.change {
        Change::Keep => format!("keep {}", int(d.current)),
        Change::Raise => format!(
            "raise to {} (+{} %)",
            int(d.requested),
            trimmed(d.increase_pct, 1)
        ),
    }
}

/// Which dimension reaches 100 % of its limit first, in words.
fn binds_first_words(p: &Plan) -> String {
    match &p.binds_first {
        Some(b) if b.month == 0 => format!(
            "{} of {} binds first: our peak demand is already at or over it",
            b.dimension.to_uppercase(),
            b.pool
        ),
        Some(b) => format!(
            "{} of {} binds first: our peak demand reaches 100 % of it in {}",
            b.dimension.to_uppercase(),
            b.pool,
            when(b.month, b.calendar.as_deref())
        ),
        None => format!("no limit reaches 100 % within {} months", p.months),
    }
}

/// The SLO in one sentence.
fn slo_words(p: &Plan) -> String {
    let classes: Vec<String> = p
        .slo
        .classes
        .iter()
        .map(|(c, r)| format!("{c}: {r}"))
        .collect();
    let mut s = format!(
        "at least {} of each class's requests meet its rule ({})",
        pct1(p.slo.attainment),
        classes.join("; ")
    );
    if let Some(m) = p.slo.max_429_share {
        s.push_str(&format!(
            ", and at most {} of attempts answered 429",
            pct1(m)
        ));
    }
    s
}

/// The target's per-dimension requests of one pool.
fn pool_dims<'a>(t: &'a Target, pool: &'a str) -> impl Iterator<Item = &'a DimensionRequest> {
    t.dimensions.iter().filter(move |d| d.pool == pool)
}

/// Published tiers that keep the SLO, in words.
fn tiers_words(t: &Target) -> String {
    if t.smallest_tiers.is_empty() {
        let tried: Vec<&str> = t.tiers.iter().map(|c| c.tier.as_str()).collect();
        return format!(
            "none of the published tiers ({}) keeps the SLO: the request is for custom limits",
            tried.join(", ")
        );
    }
    let one = |name: &str| {
        let c: Option<&TierCheck> = t.tiers.iter().find(|c| c.tier == name);
        match c.and_then(|c| c.monthly_spend_limit_usd.map(|l| (l, c.covers_spend))) {
            Some((l, true)) => format!(
                "`{name}` (its {} monthly spend limit covers the cost)",
                usd(l as f64)
            ),
            Some((l, false)) => format!(
                "`{name}` (but its {} monthly spend limit does not cover the cost)",
                usd(l as f64)
            ),
            None => format!("`{name}`"),
        }
    };
    format!(
        "the smallest published tiers that keep the SLO: {}",
        t.smallest_tiers
            .iter()
            .map(|n| one(n))
            .collect::<Vec<_>>()
            .join(" and ")
    )
}

fn met(o: &Outcome) -> &'static str {
    if o.slo_met { "met" } else { "missed" }
}

fn outcome_line(o: &Outcome) -> String {
    format!(
        "SLO attainment {}, {} failed of {}, {} 429s ({} of attempts), p99 of successes {}, {} a month — SLO {}",
        pct2(o.slo_attainment),
        int(o.failed),
        int(o.requests),
        int(o.rate_limited),
        pct1(o.rate_429),
        opt_duration_ms(o.p99_ms),
        usd(o.cost_per_month_usd),
        if o.slo_met { "met" } else { "MISSED" }
    )
}

/// The spend check in one sentence.
fn spend_words(p: &Plan) -> String {
    let sp = &p.spend;
    let mut s = format!(
        "At today's demand our traffic costs about {} a month at list prices",
        usd(sp.cost_now_usd)
    );
    match (sp.monthly_limit_usd, sp.binds_month) {
        (Some(l), Some(m)) => s.push_str(&format!(
            "; the `{}` monthly spend limit of {} is exceeded {}",
            sp.tier,
            usd(l as f64),
            if m == 0 {
                "already".to_string()
            } else {
                format!("from {}", when(m, sp.binds_calendar.as_deref()))
            }
        )),
        (Some(l), None) => s.push_str(&format!(
            "; it stays within the `{}` monthly spend limit of {} for {} months",
            sp.tier,
            usd(l as f64),
            p.months
        )),
        (None, _) => s.push_str(&format!(
            "; `{}` has no published monthly spend limit",
            sp.tier
        )),
    }
    if let Some(t) = p.targets.last() {
        let cost = t.at_requested.cost_per_month_usd;
        s.push_str(&format!(
            ". In {} it costs about {} a month",
            when(t.month, t.calendar.as_deref()),
            usd(cost)
        ));
        let smallest: Vec<&TierCheck> = t
            .smallest_tiers
            .iter()
            .filter_map(|n| t.tiers.iter().find(|c| &c.tier == n))
            .collect();
        let limit_of = |c: &TierCheck| {
            c.monthly_spend_limit_usd.map_or_else(
                || format!("`{}` (no limit)", c.tier),
                |l| format!("`{}`'s {}", c.tier, usd(l as f64)),
            )
        };
        let covering: Vec<String> = smallest
            .iter()
            .filter(|c| c.covers_spend)
            .map(|c| limit_of(c))
            .collect();
        if !covering.is_empty() {
            s.push_str(&format!(
                ", which {} monthly spend limit covers",
                covering.join(" or ")
            ));
        } else if smallest.is_empty() {
            s.push_str(&format!(
                ": with custom limits we also ask for a monthly spend limit of at least {}",
                usd(cost)
            ));
        } else {
            let names: Vec<String> = smallest.iter().map(|c| limit_of(c)).collect();
            s.push_str(&format!(
                ", more than {} monthly spend limit: we also ask for a monthly spend limit of at least {}",
                names.join(" or "),
                usd(cost)
            ));
        }
    }
    s.push('.');
    s
}

/// The plan as text.
pub fn to_table(p: &Plan) -> String {
    let mut s = format!(
        "capacity plan for {} (strategy {}): demand +{:.1}%/month for {} months{}\nSLO: {}\n\n",
        p.scenario,
        p.strategy,
        p.growth_per_month * 100.0,
        p.months,
        p.start
            .as_deref()
            .map_or(String::new(), |d| format!(" from {d}")),
        slo_words(p)
    );
    for (i, (pool, l)) in p.current.iter().enumerate() {
        s.push_str(&format!("pool {pool}: {}\n", limits_words(l)));
        let right = |h| (h, Align::Right);
        let mut table = TextTable::new(
            [
                "month",
                "factor",
                "peak RPM",
                "peak ITPM",
                "peak OTPM",
                "demand/limit rpm",
                "itpm",
                "otpm",
                "cost/month",
            ]
            .map(right),
        )
        .indent("  ");
        for m in &p.projection {
            let pm = &m.pools[i];
            table.row([
                m.calendar
                    .as_deref()
                    .map_or(m.month.to_string(), |c| format!("{} {c}", m.month)),
                format!("{:.2}", m.factor),
                trimmed(pm.peak_per_min[0], 0),
                trimmed(pm.peak_per_min[1], 0),
                trimmed(pm.peak_per_min[2], 0),
                pct(pm.utilisation[0]),
                pct(pm.utilisation[1]),
                pct(pm.utilisation[2]),
                usd(m.cost_per_month_usd),
            ]);
        }
        s.push_str(&table.render());
        s.push_str("  demand crosses:\n");
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(l, d).is_none() {
                continue;
            }
            s.push_str(&format!(
                "    {dim:<5} 70%: {:<14} 80%: {:<14} 100%: {}\n",
                crossing_words(p, pool, dim, 0.7),
                crossing_words(p, pool, dim, 0.8),
                crossing_words(p, pool, dim, 1.0)
            ));
        }
        s.push('\n');
    }
    s.push_str(&format!(
        "{}.\n{}\n\n",
        binds_first_words(p),
        spend_words(p)
    ));
    if let Some(x) = &p.request_estimate {
        s.push_str(&format!(
            "request count is an estimate for {}; crossings at the low end / as estimated / high end:\n",
            estimated_words(x)
        ));
        for r in spread_rows(p, x) {
            s.push_str(&format!(
                "  {} {:<4} {:>5}: {} / {} / {}\n",
                r[0], r[1], r[2], r[3], r[4], r[5]
            ));
        }
        s.push_str(&format!("  binds first {}\n\n", spread_binds_words(p, x)));
    }
    for t in &p.targets {
        s.push_str(&format!("{}:\n", when(t.month, t.calendar.as_deref())));
        s.push_str(&format!(
            "  at current limits:   {}\n",
            outcome_line(&t.at_current)
        ));
        s.push_str(&format!("  {}\n", tiers_words(t)));
        for (pool, _) in &t.requested {
            s.push_str(&format!("  {pool}:\n"));
            for d in pool_dims(t, pool) {
                s.push_str(&format!("    {:<5} {}\n", d.dimension, change_words(d)));
            }
        }
        s.push_str(&format!(
            "  at requested limits: {}\n\n",
            outcome_line(&t.at_requested)
        ));
    }
    if let Some(x) = &p.sensitivity {
        s.push_str(&format!(
            "with a {} s bucket instead of {} s, month {} needs: {}\n",
            x.alternative_burst_s,
            x.burst_s,
            x.month,
            x.dimensions
                .iter()
                .map(|d| format!("{} {} {}", d.pool, d.dimension, change_words(d)))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    s.push_str(&format!(
        "strategy: {} — {}\n",
        p.strategy, p.strategy_reason
    ));
    s
}

/// The limit-increase request, as Markdown (`request.md`).
pub fn to_markdown(p: &Plan, charts: &[(String, String)]) -> String {
    let mut s = format!("# Rate-limit increase request: {}\n\n", p.scenario);
    let since = p
        .start
        .as_deref()
        .map_or(String::new(), |d| format!(" from {d}"));
    s.push_str(&format!(
        "Prepared with ratesim from a simulation of our traffic, projected at **{:.1}% growth per month** for {} months{since}. \
Every figure comes from simulating the workload against Anthropic's rate-limit model (limits as published on {}); none is a linear extrapolation.\n\n",
        p.growth_per_month * 100.0,
        p.months,
        p.catalogue_date
    ));
    // The ask first: the last target, dimension by dimension.
    if let Some(t) = p.targets.last() {
        let raised: Vec<String> = t
            .dimensions
            .iter()
            .filter(|d| d.change == Change::Raise)
            .map(|d| {
                format!(
                    "{} {} from {} to **{}** (+{} %)",
                    d.pool,
                    d.dimension.to_uppercase(),
                    int(d.current),
                    int(d.requested),
                    trimmed(d.increase_pct, 1)
                )
            })
            .collect();
        s.push_str("**In short.** ");
        s.push_str(&format!("{}. ", capitalise(&binds_first_words(p))));
        if raised.is_empty() {
            s.push_str(&format!(
                "Our current limits keep our service level through {}; we ask for no change yet.\n\n",
                when(t.month, t.calendar.as_deref())
            ));
        } else {
            s.push_str(&format!(
                "To keep our service level through {} we ask for {}; every other limit stays as it is.\n\n",
                when(t.month, t.calendar.as_deref()),
                raised.join(", ")
            ));
        }
    }
    s.push_str(&format!(
        "## Our service level\n\n{}. It is judged on every request: one that fails or that our client gives up on counts as a miss, so a client that gives up early cannot look fast.\n\n",
        capitalise(&slo_words(p))
    ));
    s.push_str(
        "## Current demand as a share of our limits\n\nPeak-minute demand — what our traffic asks for, measured with no limits in the way — divided by each limit we have today.\n\n\
| pool | limits today | peak-minute requests | input tokens | output tokens |\n|---|---|---:|---:|---:|\n",
    );
    for (i, (pool, l)) in p.current.iter().enumerate() {
        let m0 = &p.projection[0].pools[i];
        s.push_str(&format!(
            "| {pool} | {} | {} | {} | {} |\n",
            limits_words(l),
            pct(m0.utilisation[0]),
            pct(m0.utilisation[1]),
            pct(m0.utilisation[2])
        ));
    }
    s.push_str("\n## Projection\n\nWhen our peak-minute demand reaches 70 %, 80 % and 100 % of each limit:\n\n| pool | limit | 70 % | 80 % | 100 % |\n|---|---|---|---|---|\n");
    for (pool, l) in &p.current {
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(l, d).is_some() {
                s.push_str(&format!(
                    "| {pool} | {} | {} | {} | {} |\n",
                    dim.to_uppercase(),
                    crossing_words(p, pool, dim, 0.7),
                    crossing_words(p, pool, dim, 0.8),
                    crossing_words(p, pool, dim, 1.0)
                ));
            }
        }
    }
    s.push_str(&format!("\n{}.\n", capitalise(&binds_first_words(p))));
    if let Some((file, alt)) = charts.first() {
        s.push_str(&format!("\n![{alt}]({file})\n"));
    }
    if let Some(x) = &p.request_estimate {
        s.push_str(&format!(
            "\n## How far the request count matters\n\nOur usage report gives tokens per minute, not requests, so the request count is an estimate: {}. \
The same tokens cut into fewer or more requests move the crossings as below. Requests per minute move with the count; the token limits move only as far as burstiness does.\n\n\
| pool | limit | reaches | fewer requests (low end) | as estimated | more requests (high end) |\n|---|---|---|---|---|---|\n",
            estimated_words(x)
        ));
        for r in spread_rows(p, x) {
            s.push_str(&format!("| {} |\n", r.join(" | ")));
        }
        s.push_str(&format!(
            "\nWhat binds first: {}.\n",
            spread_binds_words(p, x)
        ));
    }
    s.push_str("\n## What we ask for\n");
    for t in &p.targets {
        s.push_str(&format!(
            "\n### By {}\n\n",
            when(t.month, t.calendar.as_deref())
        ));
        s.push_str("| pool | limit | today | requested | |\n|---|---|---:|---:|---|\n");
        for d in &t.dimensions {
            s.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                d.pool,
                d.dimension.to_uppercase(),
                int(d.current),
                int(d.requested),
                match d.change {
                    Change::Keep => "keep".to_string(),
                    Change::Raise => format!("raise (+{} %)", trimmed(d.increase_pct, 1)),
                }
            ));
        }
        s.push_str(&format!("\nFor comparison, {}.\n\n", tiers_words(t)));
        s.push_str(
            "| | SLO attainment | failed | 429s | share of attempts | p99 of successes | cost per month | SLO |\n|---|---:|---:|---:|---:|---:|---:|---|\n",
        );
        for (name, o) in [
            ("current limits", &t.at_current),
            ("requested limits", &t.at_requested),
        ] {
            s.push_str(&format!(
                "| {name} | {} | {} | {} | {} | {} | {} | {} |\n",
                pct2(o.slo_attainment),
                int(o.failed),
                int(o.rate_limited),
                pct1(o.rate_429),
                opt_duration_ms(o.p99_ms),
                usd(o.cost_per_month_usd),
                met(o)
            ));
        }
    }
    for (file, alt) in charts.iter().skip(1) {
        s.push_str(&format!("\n![{alt}]({file})\n"));
    }
    s.push_str(&format!("\n## Spend\n\n{}\n", spend_words(p)));
    s.push_str(
        "\n## How each figure was found\n\nEvery limit of every pool is searched on its own, with the simulator as the judge, and never below what we have today. \
We start from generous limits (today's, or 2× the month's peak-minute demand if higher, doubling up to 64× until the service level holds). \
Then, one dimension at a time (RPM, ITPM, OTPM and, where a pool has it, TPM; those already searched at their found values, the rest at the generous ones), \
we simulate today's limit: if it keeps the service level, we ask to **keep** it; otherwise we bisect for the smallest value above it, \
in steps of two significant figures, that keeps the service level. A last simulation at the requested limits gives the outcome shown.\n",
    );
    s.push_str("\n## Assumptions\n\nThe figures depend on these; each can be changed in the scenario and the plan rerun.\n\n");
    for a in &p.assumptions {
        s.push_str(&format!("- {a}\n"));
    }
    if let Some(x) = &p.sensitivity {
        s.push_str(&format!(
            "\n**Sensitivity to the bucket size.** With a {} s bucket instead of {} s, the ask for {} would be: {}.\n",
            trimmed(x.alternative_burst_s, 3),
            trimmed(x.burst_s, 3),
            when(
                x.month,
                p.targets
                    .iter()
                    .find(|t| t.month == x.month)
                    .and_then(|t| t.calendar.as_deref())
            ),
            x.dimensions
                .iter()
                .map(|d| format!("{} {} {}", d.pool, d.dimension.to_uppercase(), change_words(d)))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    s.push_str(&super::made_with(Some(&p.ratesim)));
    s
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Columns of [`to_csv`], in order.
pub const PLAN_COLUMNS: [&str; 17] = [
    "month",
    "calendar",
    "factor",
    "pool",
    "peak_rpm",
    "peak_itpm",
    "peak_otpm",
    "limit_rpm",
    "limit_itpm",
    "limit_otpm",
    "utilisation_rpm",
    "utilisation_itpm",
    "utilisation_otpm",
    "requested_rpm",
    "requested_itpm",
    "requested_otpm",
    "cost_per_month_usd",
];

/// The projection as CSV: one row per month and pool, unformatted numbers;
/// a limit or utilisation is empty where the pool is unlimited, and the
/// requested limits are filled in only at the target months (equal to the
/// limit where it is kept).
pub fn to_csv(p: &Plan) -> String {
    let mut s = PLAN_COLUMNS.join(",");
    s.push('\n');
    let opt = |x: Option<String>| x.unwrap_or_default();
    for m in &p.projection {
        for (i, pm) in m.pools.iter().enumerate() {
            let limits = p.current.get(i).map(|(_, l)| l);
            let mut row = vec![
                m.month.to_string(),
                opt(m.calendar.clone()),
                m.factor.to_string(),
                field(&pm.pool),
            ];
            row.extend(pm.peak_per_min.iter().map(f64::to_string));
            row.extend(
                (0..3).map(|d| opt(limits.and_then(|l| limit_of(l, d)).map(|v| v.to_string()))),
            );
            row.extend(pm.utilisation.iter().map(|u| opt(u.map(|x| x.to_string()))));
            let target = p.targets.iter().find(|t| t.month == m.month);
            row.extend(DIMS.iter().map(|dim| {
                opt(target.and_then(|t| {
                    pool_dims(t, &pm.pool)
                        .find(|d| d.dimension == *dim)
                        .map(|d| d.requested.to_string())
                }))
            }));
            row.push(m.cost_per_month_usd.to_string());
            s.push_str(&row.join(","));
            s.push('\n');
        }
    }
    s
}

impl Render for Plan {
    fn name(&self) -> &'static str {
        "a capacity plan"
    }

    /// Markdown is the limit-increase request without charts (use
    /// [`to_markdown`] to embed them).
    fn render(&self, format: Format) -> Result<String, Unsupported> {
        Ok(match format {
            Format::Table => to_table(self),
            Format::Json => crate::report::json::pretty(self),
            Format::Markdown => to_markdown(self, &[]),
            Format::Csv => to_csv(self),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_months_read_as_names() {
        assert_eq!(month_name("2027-03"), "March 2027");
        assert_eq!(when(3, Some("2027-03")), "March 2027 (month 3)");
        assert_eq!(when(0, None), "now");
        assert_eq!(when_short(5, None), "month 5");
    }
}
