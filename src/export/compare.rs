//! `compare` as a table and as Markdown.

use crate::analysis::compare::{MetricDiff, Verdict};
use crate::analysis::gate::{CompareReport, Comparison};
use crate::export::num::{metric_ci, metric_signed_ci, pct};
use crate::export::text_table::{Align, TextTable};

fn cells(m: &MetricDiff) -> [String; 5] {
    let rel = m.relative();
    let rel = if rel.is_finite() {
        let sign = if rel > 0.0 { "+" } else { "" };
        format!(" ({sign}{})", pct(rel, 1))
    } else {
        String::new()
    };
    let (b, c, d) = (&m.baseline, &m.candidate, &m.difference);
    [
        m.metric.clone(),
        metric_ci(&m.metric, b.mean, b.half_width),
        metric_ci(&m.metric, c.mean, c.half_width),
        format!("{}{rel}", metric_signed_ci(&m.metric, d.mean, d.half_width)),
        m.verdict.words().to_string(),
    ]
}

const ALIGN: [Align; 5] = [
    Align::Left,
    Align::Right,
    Align::Right,
    Align::Right,
    Align::Left,
];

const HEADER: [&str; 5] = [
    "metric",
    "baseline",
    "candidate",
    "difference (95% CI)",
    "verdict",
];

/// Aligned text, one table per comparison, and the gate line.
pub fn compare_table(r: &CompareReport) -> String {
    let mut s = String::new();
    for c in &r.comparisons {
        s.push_str(&format!(
            "{}: {} (baseline) vs {} (candidate), {} paired replications, seed {}\n\n",
            r.scenario, c.baseline, c.candidate, r.replications, r.seed
        ));
        let mut t = TextTable::new(HEADER.into_iter().zip(ALIGN));
        for m in &c.metrics {
            t.row(cells(m));
        }
        s.push_str(&t.render());
        s.push('\n');
        s.push_str(&gate_line(c));
        s.push('\n');
    }
    s
}

fn gate_line(c: &Comparison) -> String {
    let mut s = String::new();
    for f in &c.failed_assertions {
        s.push_str(&format!("assertion failed: {f}\n"));
    }
    if c.regressions.is_empty() && c.failed_assertions.is_empty() {
        s.push_str(&format!("gate: PASS ({} vs {})\n", c.candidate, c.baseline));
    } else {
        let mut why = Vec::new();
        if !c.regressions.is_empty() {
            why.push(format!("significantly worse {}", c.regressions.join(", ")));
        }
        if !c.failed_assertions.is_empty() {
            why.push(format!("{} assertion(s) failed", c.failed_assertions.len()));
        }
        s.push_str(&format!(
            "gate: FAIL ({} vs {}): {}\n",
            c.candidate,
            c.baseline,
            why.join("; ")
        ));
    }
    s
}

/// Markdown for a pull request's job summary.
pub fn compare_markdown(r: &CompareReport) -> String {
    let mut s = String::new();
    for c in &r.comparisons {
        let verdict = if c.regressions.is_empty() {
            "PASS"
        } else {
            "FAIL"
        };
        s.push_str(&format!(
            "### ratesim gate: {verdict} — `{}` vs `{}`\n\n",
            c.candidate, c.baseline
        ));
        s.push_str(&format!(
            "Scenario `{}`, {} paired replications (common random numbers), seed {}, tolerance {}%.\n\n",
            r.scenario,
            r.replications,
            r.seed,
            r.tolerance * 100.0
        ));
        s.push_str("| metric | baseline | candidate | difference (95% CI) | verdict |\n|---|---:|---:|---:|---|\n");
        for m in &c.metrics {
            let [a, b, cc, d, e] = cells(m);
            let e = if m.verdict == Verdict::Worse && c.regressions.contains(&m.metric) {
                format!("**{e}**")
            } else {
                e
            };
            s.push_str(&format!("| `{a}` | {b} | {cc} | {d} | {e} |\n"));
        }
        s.push('\n');
        for f in &c.failed_assertions {
            s.push_str(&format!("- assertion failed: `{f}`\n"));
        }
        if !c.failed_assertions.is_empty() {
            s.push('\n');
        }
        if !c.regressions.is_empty() {
            s.push_str(&format!(
                "Significantly worse: {}.\n\n",
                c.regressions
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    s
}
