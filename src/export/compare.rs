//! `compare` as a table, JSON, Markdown and CSV. PASS or FAIL always
//! comes from [`Comparison::verdict`]; no renderer decides it.

use crate::analysis::compare::{MetricDiff, Verdict};
use crate::analysis::gate::{CompareReport, Comparison};
use crate::export::num::{metric_ci, metric_signed_ci, pct};
use crate::export::report_csv::field;
use crate::export::text_table::{Align, TextTable};
use crate::export::{Format, Render, Unsupported};

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

/// The gate line, from [`Comparison::verdict`]: `gate: PASS (b vs a)`, or
/// `gate: FAIL (b vs a)` and one indented line per reason.
fn gate_line(c: &Comparison) -> String {
    let v = c.verdict();
    let mut s = format!("gate: {} ({} vs {})\n", v.shout(), c.candidate, c.baseline);
    for r in &v.reasons {
        s.push_str(&format!("  {r}\n"));
    }
    for h in &c.held_assertions {
        s.push_str(&format!("  assertion held: {h}\n"));
    }
    s
}

/// Markdown for a pull request's job summary.
pub fn compare_markdown(r: &CompareReport) -> String {
    let mut s = String::new();
    for c in &r.comparisons {
        let verdict = c.verdict().shout();
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
        for h in &c.held_assertions {
            s.push_str(&format!("- assertion held: `{h}`\n"));
        }
        if !c.failed_assertions.is_empty() || !c.held_assertions.is_empty() {
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
    s.push_str(&super::made_with(Some(
        &crate::report::Provenance::current(),
    )));
    s
}

/// The compare report as pretty JSON (with `verdict` per comparison and
/// overall).
pub fn compare_json(r: &CompareReport) -> String {
    crate::report::json::pretty(r)
}

/// Columns of [`compare_csv`], in order.
pub const COMPARE_COLUMNS: [&str; 17] = [
    "baseline",
    "candidate",
    "metric",
    "direction",
    "baseline_mean",
    "baseline_ci95_lo",
    "baseline_ci95_hi",
    "candidate_mean",
    "candidate_ci95_lo",
    "candidate_ci95_hi",
    "difference_mean",
    "difference_ci95_lo",
    "difference_ci95_hi",
    "n",
    "verdict",
    "gated_regression",
    "gate",
];

/// A raw number for CSV; empty when it is not finite (no samples).
fn raw(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// One row per metric per comparison, unformatted numbers; `gate` is the
/// comparison's verdict (`pass`/`fail`) on every one of its rows.
pub fn compare_csv(r: &CompareReport) -> String {
    let mut s = COMPARE_COLUMNS.join(",");
    s.push('\n');
    for c in &r.comparisons {
        let gate = c.verdict().word();
        for m in &c.metrics {
            let (b, k, d) = (&m.baseline, &m.candidate, &m.difference);
            let direction = match m.direction {
                crate::analysis::compare::Direction::LowerIsBetter => "lower_is_better",
                crate::analysis::compare::Direction::HigherIsBetter => "higher_is_better",
            };
            let cells = [
                field(&c.baseline),
                field(&c.candidate),
                field(&m.metric),
                direction.to_string(),
                raw(b.mean),
                raw(b.lo()),
                raw(b.hi()),
                raw(k.mean),
                raw(k.lo()),
                raw(k.hi()),
                raw(d.mean),
                raw(d.lo()),
                raw(d.hi()),
                d.n.to_string(),
                m.verdict.words().replace(' ', "_"),
                c.regressions.contains(&m.metric).to_string(),
                gate.to_string(),
            ];
            s.push_str(&cells.join(","));
            s.push('\n');
        }
    }
    s
}

impl Render for CompareReport {
    fn name(&self) -> &'static str {
        "a comparison"
    }

    fn render(&self, format: Format) -> Result<String, Unsupported> {
        Ok(match format {
            Format::Table => compare_table(self),
            Format::Json => compare_json(self),
            Format::Markdown => compare_markdown(self),
            Format::Csv => compare_csv(self),
        })
    }
}
