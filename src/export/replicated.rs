//! `simulate --replications N` as a table.

use crate::analysis::replicate;
use crate::export::num::{EMPTY, metric_ci};
use crate::export::text_table::{Align, TextTable};

/// Rows of the replicated table: label and metric path.
const REPLICATED_ROWS: &[(&str, &str)] = &[
    ("requests", "requests"),
    ("succeeded", "succeeded"),
    ("failed", "failed"),
    ("attempts", "attempts"),
    ("429 total", "rate_limited.total"),
    ("429 rpm", "rate_limited.rpm"),
    ("429 itpm", "rate_limited.itpm"),
    ("429 otpm", "rate_limited.otpm"),
    ("529 overloaded", "overloaded"),
    ("latency p50", "latency_ms.p50"),
    ("latency p90", "latency_ms.p90"),
    ("latency p99", "latency_ms.p99"),
    ("latency p99.9", "latency_ms.p999"),
    ("queue wait", "queue_wait_ms"),
    ("goodput /min", "goodput_per_min"),
    ("cost USD", "cost_usd"),
];

/// One column per strategy, one row per metric, as mean ± 95 % CI.
pub fn replicated_table(
    report: &crate::report::Report,
    reps: &[replicate::Replicated],
    n: u32,
) -> String {
    let stats: Vec<_> = reps.iter().map(|r| replicate::stats(&r.runs)).collect();
    let mut t = TextTable::new(
        std::iter::once((String::new(), Align::Left))
            .chain(reps.iter().map(|r| (r.strategy.clone(), Align::Right))),
    );
    for (label, path) in REPLICATED_ROWS {
        let mut row = vec![label.to_string()];
        for st in &stats {
            row.push(
                st.get(*path)
                    .map_or(EMPTY.into(), |s| metric_ci(path, s.mean, s.half_width)),
            );
        }
        t.row(row);
    }
    let mut s = format!(
        "{} — {} limiter, {}, {} s simulated, {n} replications from seed {} (mean ± 95% CI)\n\n",
        report.scenario, report.limiter.algorithm, report.tier, report.duration_s, report.seed
    );
    s.push_str(&t.render());
    s
}
