//! `simulate --replications N` as a table, JSON, Markdown and CSV.

use crate::analysis::checks::AssertionVerdict;
use crate::analysis::replicate;
use crate::export::checks::{assertion_text, json_with_assertions};
use crate::export::num::{EMPTY, metric_ci};
use crate::export::report_csv::field;
use crate::export::text_table::{Align, TextTable};
use crate::export::{Format, Render, Unsupported};

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
    ("latency p50 (successes)", "latency_ms.p50"),
    ("latency p90 (successes)", "latency_ms.p90"),
    ("latency p99 (successes)", "latency_ms.p99"),
    ("latency p99.9 (successes)", "latency_ms.p999"),
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

/// What `simulate --replications N` prints: the first run's report (for
/// the scenario's settings), every strategy's runs, and the verdicts of the
/// assertions (judged on the means).
#[derive(Clone, Copy, Debug)]
pub struct ReplicatedReport<'a> {
    /// The report of replication 0 (scenario, limits, assumptions).
    pub report: &'a crate::report::Report,
    /// Every strategy's runs.
    pub reps: &'a [replicate::Replicated],
    /// Replications per strategy.
    pub n: u32,
    /// Assertion verdicts (empty: none were asked for).
    pub assertions: &'a [AssertionVerdict],
}

impl ReplicatedReport<'_> {
    /// The JSON report: the single-run layout with `replications`, and
    /// `results` holding each strategy's means with `ci95` intervals
    /// ([`replicate::summary_value`]), plus `assertions` when there are any.
    pub fn to_json(&self) -> String {
        let mut v = crate::report::json::value(self.report);
        if let serde_json::Value::Object(m) = &mut v {
            m.insert("replications".into(), serde_json::Value::from(self.n));
            m.insert(
                "results".into(),
                serde_json::Value::Array(self.reps.iter().map(replicate::summary_value).collect()),
            );
        }
        json_with_assertions(&v, self.assertions)
    }

    /// Markdown: one table, a column per strategy, mean ± 95 % CI per metric.
    pub fn to_markdown(&self) -> String {
        use crate::export::report_markdown::cell;
        let r = self.report;
        let mut s = format!(
            "# ratesim: {} ({} replications)\n\nSeed {} (replication 0), {} simulated seconds, `{}` limiter, {}; mean ± 95% CI over the replications.\n\n| metric |",
            cell(&r.scenario),
            self.n,
            r.seed,
            r.duration_s,
            r.limiter.algorithm,
            r.tier
        );
        for rep in self.reps {
            s.push_str(&format!(" {} |", cell(&rep.strategy)));
        }
        s.push_str("\n|---|");
        s.push_str(&"---:|".repeat(self.reps.len()));
        s.push('\n');
        let stats: Vec<_> = self
            .reps
            .iter()
            .map(|r| replicate::stats(&r.runs))
            .collect();
        for (label, path) in REPLICATED_ROWS {
            s.push_str(&format!("| {label} |"));
            for st in &stats {
                let c = st
                    .get(*path)
                    .map_or(EMPTY.into(), |x| metric_ci(path, x.mean, x.half_width));
                s.push_str(&format!(" {c} |"));
            }
            s.push('\n');
        }
        s.push_str(&assertion_text(self.assertions, true));
        s.push_str(&crate::export::made_with(Some(&r.ratesim)));
        s
    }

    /// CSV: one row per strategy and metric (every numeric leaf of a
    /// result, by dotted path), with mean, 95 % interval and sample size;
    /// unformatted numbers, empty where a metric has no samples.
    pub fn to_csv(&self) -> String {
        let raw = |x: f64| {
            if x.is_finite() {
                format!("{x}")
            } else {
                String::new()
            }
        };
        let mut s = String::from("strategy,metric,mean,ci95_lo,ci95_hi,n\n");
        for rep in self.reps {
            for (path, st) in replicate::stats(&rep.runs) {
                s.push_str(&format!(
                    "{},{},{},{},{},{}\n",
                    field(&rep.strategy),
                    field(&path),
                    raw(st.mean),
                    raw(st.lo()),
                    raw(st.hi()),
                    st.n
                ));
            }
        }
        s
    }
}

impl Render for ReplicatedReport<'_> {
    fn name(&self) -> &'static str {
        "a replicated report"
    }

    fn render(&self, format: Format) -> Result<String, Unsupported> {
        Ok(match format {
            Format::Table => {
                replicated_table(self.report, self.reps, self.n)
                    + &assertion_text(self.assertions, false)
            }
            Format::Json => self.to_json(),
            Format::Markdown => self.to_markdown(),
            Format::Csv => self.to_csv(),
        })
    }
}
