//! A capacity plan as text, JSON, CSV (the month-by-month projection) and
//! as a limit-increase request in Markdown.

use crate::analysis::plan::{Change, DIMS, DimensionRequest, Plan, Target, limit_of};
use crate::export::num::{EMPTY, duration_ms, int, opt_duration_ms, trimmed};
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
    p.crossings
        .iter()
        .find(|c| c.pool == pool && c.dimension == dim && c.threshold == th)
        .map_or("-".into(), |c| match c.month {
            Some(0) => "now".into(),
            Some(m) => format!("month {m}"),
            None => format!("> {}", p.months),
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
            "{} of {} binds first: already at or over its limit",
            b.dimension.to_uppercase(),
            b.pool
        ),
        Some(b) => format!(
            "{} of {} binds first: it reaches 100 % of its limit in month {}",
            b.dimension.to_uppercase(),
            b.pool,
            b.month
        ),
        None => format!("no limit reaches 100 % within {} months", p.months),
    }
}

/// The target's per-dimension requests of one pool.
fn pool_dims<'a>(t: &'a Target, pool: &'a str) -> impl Iterator<Item = &'a DimensionRequest> {
    t.dimensions.iter().filter(move |d| d.pool == pool)
}

/// The plan as text.
pub fn to_table(p: &Plan) -> String {
    let mut s = format!(
        "capacity plan for {} ({}): demand +{:.1}%/month for {} months; SLO p99 <= {}, 429s <= {} of attempts, failures <= {}\n\n",
        p.scenario,
        p.strategy,
        p.growth_per_month * 100.0,
        p.months,
        duration_ms(p.slo.p99_ms),
        pct1(p.slo.rate_429),
        pct1(p.slo.failed_rate)
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
                "util rpm",
                "itpm",
                "otpm",
            ]
            .map(right),
        )
        .indent("  ");
        for m in &p.projection {
            let pm = &m.pools[i];
            table.row([
                m.month.to_string(),
                format!("{:.2}", m.factor),
                trimmed(pm.peak_per_min[0], 0),
                trimmed(pm.peak_per_min[1], 0),
                trimmed(pm.peak_per_min[2], 0),
                pct(pm.utilisation[0]),
                pct(pm.utilisation[1]),
                pct(pm.utilisation[2]),
            ]);
        }
        s.push_str(&table.render());
        s.push_str("  crossings:\n");
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(l, d).is_none() {
                continue;
            }
            s.push_str(&format!(
                "    {dim:<5} 70%: {:<10} 80%: {:<10} 100%: {}\n",
                crossing_words(p, pool, dim, 0.7),
                crossing_words(p, pool, dim, 0.8),
                crossing_words(p, pool, dim, 1.0)
            ));
        }
        s.push('\n');
    }
    s.push_str(&format!("{}\n\n", binds_first_words(p)));
    for t in &p.targets {
        s.push_str(&format!("month {}:\n", t.month));
        s.push_str(&format!(
            "  at current limits:   p99 {}, {} 429s ({} of attempts), {} failed — SLO {}\n",
            opt_duration_ms(t.at_current.p99_ms),
            int(t.at_current.rate_limited),
            pct1(t.at_current.rate_429),
            int(t.at_current.failed),
            if t.at_current.slo_met {
                "met"
            } else {
                "MISSED"
            }
        ));
        s.push_str(&format!(
            "  smallest tier that keeps the SLO: {}\n",
            t.smallest_tier.as_deref().unwrap_or("none of tier1-tier4")
        ));
        for (pool, _) in &t.requested {
            s.push_str(&format!("  {pool}:\n"));
            for d in pool_dims(t, pool) {
                s.push_str(&format!("    {:<5} {}\n", d.dimension, change_words(d)));
            }
        }
        s.push_str(&format!(
            "  at requested limits: p99 {}, {} 429s ({}), {} failed — SLO {}\n\n",
            opt_duration_ms(t.at_requested.p99_ms),
            int(t.at_requested.rate_limited),
            pct1(t.at_requested.rate_429),
            int(t.at_requested.failed),
            if t.at_requested.slo_met {
                "met"
            } else {
                "MISSED"
            }
        ));
    }
    s
}

/// The limit-increase request, as Markdown (`request.md`).
pub fn to_markdown(p: &Plan, charts: &[(String, String)]) -> String {
    let mut s = format!("# Rate-limit increase request: {}\n\n", p.scenario);
    s.push_str(&format!(
        "Prepared with ratesim from a simulation of our traffic (strategy `{}`), projected at **{:.1}% growth per month** for {} months. \
Every figure below comes from simulating the workload against Anthropic's limit model; none is a linear extrapolation.\n\n",
        p.strategy,
        p.growth_per_month * 100.0,
        p.months
    ));
    s.push_str("## Current usage as a share of our limits\n\n| pool | limits | peak-minute RPM | ITPM | OTPM |\n|---|---|---:|---:|---:|\n");
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
    s.push_str("\n## Projection\n\n| pool | dimension | reaches 70 % | 80 % | 100 % |\n|---|---|---|---|---|\n");
    for (pool, l) in &p.current {
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(l, d).is_some() {
                s.push_str(&format!(
                    "| {pool} | {dim} | {} | {} | {} |\n",
                    crossing_words(p, pool, dim, 0.7),
                    crossing_words(p, pool, dim, 0.8),
                    crossing_words(p, pool, dim, 1.0)
                ));
            }
        }
    }
    s.push_str(&format!("\n{}.\n", binds_first_words(p)));
    for (file, alt) in charts {
        s.push_str(&format!("\n![{alt}]({file})\n"));
    }
    s.push_str(&format!(
        "\n## Requested limits\n\nOur service level: p99 latency at most {}, at most {} of attempts rate-limited, at most {} of requests failing.\n\n",
        duration_ms(p.slo.p99_ms),
        pct1(p.slo.rate_429),
        pct1(p.slo.failed_rate)
    ));
    s.push_str(
        "How each figure was found: every limit of every pool is searched on its own, with the simulator as the judge, and never below what we have today. \
We start from generous limits (today's, or 2× the month's simulated peak-minute demand if higher, doubling up to 64× until the service level holds). \
Then, one dimension at a time (RPM, ITPM, OTPM and, where a pool has it, TPM in turn; those already searched at their found values, the rest at the generous ones), \
we simulate today's limit: if it keeps the service level, we ask to **keep** it; otherwise we bisect for the smallest value above it, \
in steps of two significant figures, that keeps the service level. A last simulation at the requested limits gives the outcome shown.\n\n",
    );
    for t in &p.targets {
        s.push_str(&format!("### In {} months\n\n", t.month));
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
        if let Some(tier) = &t.smallest_tier {
            s.push_str(&format!(
                "\n(The published `{tier}` limits would also keep the SLO.)\n"
            ));
        }
        s.push_str(&format!(
            "\n| | p99 latency | 429s | share of attempts | failed | SLO |\n|---|---:|---:|---:|---:|---|\n\
| current limits | {} | {} | {} | {} | {} |\n| requested limits | {} | {} | {} | {} | {} |\n\n",
            opt_duration_ms(t.at_current.p99_ms),
            int(t.at_current.rate_limited),
            pct1(t.at_current.rate_429),
            int(t.at_current.failed),
            if t.at_current.slo_met { "met" } else { "missed" },
            opt_duration_ms(t.at_requested.p99_ms),
            int(t.at_requested.rate_limited),
            pct1(t.at_requested.rate_429),
            int(t.at_requested.failed),
            if t.at_requested.slo_met { "met" } else { "missed" }
        ));
    }
    s.push_str(&super::made_with(Some(&p.ratesim)));
    s
}

/// Columns of [`to_csv`], in order.
pub const PLAN_COLUMNS: [&str; 15] = [
    "month",
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
            let mut row = vec![m.month.to_string(), m.factor.to_string(), field(&pm.pool)];
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
