//! `sweep` and `merge` as a table.

use crate::analysis::compare::Direction;
use crate::export::num::metric_ci;
use crate::export::text_table::{Align, TextTable};

/// One row per grid point, the best marked.
pub fn sweep_table(r: &crate::analysis::sweep::SweepReport) -> String {
    let d = &r.definition;
    let mut s = format!(
        "sweep of {} for strategy {}: {} points × {} replications{}, ranked by {} ({})\n\n",
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
    );
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
        let mut row: Vec<String> = d
            .params
            .iter()
            .map(|q| match &p.params[&q.path] {
                serde_json::Value::String(x) => x.clone(),
                v => v.to_string(),
            })
            .collect();
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
