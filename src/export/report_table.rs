//! The terminal table: one column per strategy, one row per metric.

use crate::export::num::{EMPTY, fixed, int, opt_duration_ms as ms, pct};
use crate::export::text_table::{Align, TextTable};
use crate::report::{Outcome, Report, StrategyResult};

/// A labelled row of formatted cells, one per strategy.
pub(crate) struct Row {
    pub label: &'static str,
    pub cells: Vec<String>,
}

/// The metric rows shared by the table and Markdown exporters.
pub(crate) fn rows(report: &Report) -> Vec<Row> {
    let mut rows = rows_of(report, |r| &r.total);
    rows.extend(replica_rows(report));
    rows
}

/// The spread between a fleet's replicas (lowest–highest), when any
/// strategy runs more than one; `—` for a single client.
fn replica_rows(report: &Report) -> Vec<Row> {
    if report.results.iter().all(|r| r.replica_spread.is_none()) {
        return Vec::new();
    }
    let range = |f: &dyn Fn(&StrategyResult) -> Option<String>| {
        report
            .results
            .iter()
            .map(|r| f(r).unwrap_or_else(|| "—".to_string()))
            .collect()
    };
    vec![
        Row {
            label: "replicas",
            cells: range(&|r| (!r.by_replica.is_empty()).then(|| int(r.by_replica.len() as u64))),
        },
        Row {
            label: "replica requests",
            cells: range(&|r| {
                r.replica_spread
                    .map(|s| format!("{}–{}", int(s.requests_min), int(s.requests_max)))
            }),
        },
        Row {
            label: "replica 429s",
            cells: range(&|r| {
                r.replica_spread
                    .map(|s| format!("{}–{}", int(s.rate_limited_min), int(s.rate_limited_max)))
            }),
        },
        Row {
            label: "replica p99 (successes)",
            cells: range(&|r| {
                r.replica_spread
                    .map(|s| format!("{}–{}", ms(s.p99_ms_min), ms(s.p99_ms_max)))
            }),
        },
    ]
}

/// The metric rows of the outcome `pick` chooses from each strategy (its
/// totals, or one class).
pub(crate) fn rows_of(report: &Report, pick: impl Fn(&StrategyResult) -> &Outcome) -> Vec<Row> {
    type Cell = fn(&Outcome) -> String;
    let spec: [(&'static str, Cell); 23] = [
        ("requests", |o| int(o.requests)),
        ("succeeded", |o| int(o.succeeded)),
        ("max_tokens cut", |o| int(o.truncated)),
        ("failed", |o| int(o.failed)),
        ("SLO attainment", |o| match o.slo_attainment {
            Some(Some(a)) => pct(a, 2),
            Some(None) => EMPTY.to_string(),
            None => String::new(),
        }),
        ("attempts", |o| int(o.attempts)),
        ("429 total", |o| int(o.rate_limited.total)),
        ("429 rpm", |o| int(o.rate_limited.rpm)),
        ("429 itpm", |o| int(o.rate_limited.itpm)),
        ("429 otpm", |o| int(o.rate_limited.otpm)),
        ("429 tpm", |o| int(o.rate_limited.tpm)),
        ("429 concurrency", |o| int(o.rate_limited.concurrency)),
        ("429 acceleration", |o| int(o.rate_limited.acceleration)),
        ("429 by workspace cap", |o| {
            int(o.rate_limited.by_workspace_cap)
        }),
        ("529 overloaded", |o| int(o.overloaded)),
        ("throttled locally", |o| int(o.throttled_locally)),
        ("latency p50 (successes)", |o| ms(o.latency_ms.p50)),
        ("latency p90 (successes)", |o| ms(o.latency_ms.p90)),
        ("latency p99 (successes)", |o| ms(o.latency_ms.p99)),
        ("latency p99.9 (successes)", |o| ms(o.latency_ms.p999)),
        ("routed to fallback", |o| int(o.routed_away)),
        ("goodput /min", |o| fixed(o.goodput_per_min, 2)),
        ("cost USD", |o| fixed(o.cost_usd, 4)),
    ];
    // Dimensions most scenarios never configure, and client-side throttling,
    // show only when they fire.
    let optional = [
        "max_tokens cut",
        "429 tpm",
        "429 acceleration",
        "429 by workspace cap",
        "throttled locally",
        "routed to fallback",
    ];
    spec.iter()
        .map(|(label, f)| Row {
            label,
            cells: report.results.iter().map(|r| f(pick(r))).collect(),
        })
        .filter(|r| !optional.contains(&r.label) || r.cells.iter().any(|c| c != "0"))
        // Only a scenario with an `slo:` has an attainment to show.
        .filter(|r| r.label != "SLO attainment" || report.slo.is_some())
        .collect()
}

/// A plain-text comparison table for the terminal.
pub fn to_table(report: &Report) -> String {
    let rows = rows(report);
    let mut out = String::new();
    let p = &report;
    out.push_str(&format!(
        "{} — {} limiter, {}, {} s simulated, seed {}\n",
        p.scenario, p.limiter.algorithm, p.tier, p.duration_s, p.seed
    ));
    for pool in &p.pools {
        let f = |x: Option<u64>| x.map_or("∞".to_string(), int);
        out.push_str(&format!(
            "pool {}: {} RPM, {} ITPM, {} OTPM{}\n",
            pool.name,
            f(pool.rpm),
            f(pool.itpm),
            f(pool.otpm),
            pool.max_concurrent
                .map_or(String::new(), |c| format!(", {c} concurrent"))
        ));
    }
    if let Some(slo) = &p.slo {
        out.push_str(&format!(
            "slo: {} of judged requests — {}\n",
            pct(slo.attainment, 1),
            slo.classes
                .iter()
                .map(|(c, r)| format!("{c} {r}"))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    out.push('\n');
    let mut t = TextTable::new(
        std::iter::once(("", Align::Left)).chain(
            report
                .results
                .iter()
                .map(|r| (r.strategy.as_str(), Align::Right)),
        ),
    );
    for r in &rows {
        t.row(std::iter::once(r.label.to_string()).chain(r.cells.iter().cloned()));
    }
    out.push_str(&t.render());
    out
}
