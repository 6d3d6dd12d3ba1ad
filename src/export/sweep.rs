//! `sweep` and `merge` as a table, JSON, Markdown and CSV.

use crate::analysis::compare::Direction;
use crate::analysis::sweep::SweepReport;
use crate::export::num::metric_ci;
use crate::export::report_markdown::cell as md_cell;
use crate::export::text_table::{Align, TextTable};
use crate::export::{Format, Render, Unsupported};

/// One row per grid point, the best marked.
pub fn sweep_table(r: &SweepReport) -> String {
    let d = &r.definition;
    let mut s = format!("{}\n\n", summary(r));
    let mut head: Vec<String> = d.params.iter().map(|p| p.path.clone()).collect();
    head.push(format!("{} (95% CI)", d.metric));
    head.push("assertions".into());
    let last = head.len() - 1;
    let mut t = TextTable::new(
        head.into_iter()
            .enumerate()
            .map(|(i, h)| (h, if i == last { Align::Left } else { Align::Right })),
    );
    for p in &r.points {
        let mut row = param_cells(r, p);
        row.push(metric_ci(&d.metric, p.metric.mean, p.metric.half_width));
        row.push(if p.passed {
            if r.best == Some(p.index) {
                "pass  ← best".into()
            } else {
                "pass".into()
            }
        } else {
            format!("fail: {}", p.failures.join("; "))
        });
        t.row(row);
    }
    s.push_str(&t.render());
    s.push('\n');
    s.push_str(&best_line(r));
    s
}

/// The sweep's first line: what was swept and how it is ranked.
fn summary(r: &SweepReport) -> String {
    let d = &r.definition;
    format!(
        "sweep of {} for strategy {}: {} points × {} replications{}, ranked by {} ({})",
        d.scenario,
        d.strategy,
        d.points(),
        d.replications,
        r.shard.map_or(String::new(), |[i, n]| format!(
            " (shard {i}/{n}: {} points)",
            r.points.len()
        )),
        d.metric,
        match d.goal {
            Direction::LowerIsBetter => "lower is better",
            Direction::HigherIsBetter => "higher is better",
        }
    )
}

/// A point's parameter values, in definition order.
fn param_cells(r: &SweepReport, p: &crate::analysis::sweep::Point) -> Vec<String> {
    r.definition
        .params
        .iter()
        .map(|q| match &p.params[&q.path] {
            serde_json::Value::String(x) => x.clone(),
            v => v.to_string(),
        })
        .collect()
}

/// `best: …`, or why there is none.
fn best_line(r: &SweepReport) -> String {
    let d = &r.definition;
    let mut s = String::new();
    match r.best.and_then(|b| r.points.iter().find(|p| p.index == b)) {
        Some(p) => {
            let vals: Vec<String> = p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!(
                "best: {} ({} = {})\n",
                vals.join(" "),
                d.metric,
                metric_ci(&d.metric, p.metric.mean, p.metric.half_width)
            ));
        }
        None if r.shard.is_some() => s.push_str("best: decided after `ratesim merge`\n"),
        None => s.push_str("best: no point satisfies the assertions\n"),
    }
    s
}

/// The sweep as Markdown: one table row per point, the best in bold.
pub fn sweep_markdown(r: &SweepReport) -> String {
    let d = &r.definition;
    let mut s = format!(
        "# ratesim sweep: {}\n\n{}.\n\n",
        md_cell(&d.scenario),
        summary(r)
    );
    s.push('|');
    for p in &d.params {
        s.push_str(&format!(" `{}` |", md_cell(&p.path)));
    }
    s.push_str(&format!(
        " `{}` (95% CI) | assertions |\n|",
        md_cell(&d.metric)
    ));
    s.push_str(&"---:|".repeat(d.params.len() + 1));
    s.push_str("---|\n");
    for p in &r.points {
        let best = r.best == Some(p.index);
        let b = |x: String| if best { format!("**{x}**") } else { x };
        s.push('|');
        for c in param_cells(r, p) {
            s.push_str(&format!(" {} |", b(md_cell(&c))));
        }
        s.push_str(&format!(
            " {} | {} |\n",
            b(metric_ci(&d.metric, p.metric.mean, p.metric.half_width)),
            if p.passed {
                if best {
                    "pass, **best**".into()
                } else {
                    "pass".into()
                }
            } else {
                format!("fail: {}", md_cell(&p.failures.join("; ")))
            }
        ));
    }
    s.push('\n');
    s.push_str(&best_line(r));
    s.push_str(&super::made_with(r.ratesim.as_ref()));
    s
}

impl Render for SweepReport {
    fn name(&self) -> &'static str {
        "a sweep"
    }

    fn render(&self, format: Format) -> Result<String, Unsupported> {
        Ok(match format {
            Format::Table => sweep_table(self),
            Format::Json => self.to_json(),
            Format::Markdown => sweep_markdown(self),
            Format::Csv => self.to_csv(),
        })
    }
}
