//! `sweep` and `merge` as a table.

use crate::analysis::compare::Direction;
use crate::export::num::num;

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
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head: Vec<String> = d.params.iter().map(|p| p.path.clone()).collect();
    head.push(format!("{} (95% CI)", d.metric));
    head.push("assertions".into());
    rows.push(head);
    for p in &r.points {
        let mut row: Vec<String> = d
            .params
            .iter()
            .map(|q| match &p.params[&q.path] {
                serde_json::Value::String(x) => x.clone(),
                v => v.to_string(),
            })
            .collect();
        row.push(format!(
            "{} ± {}",
            num(p.metric.mean),
            num(p.metric.half_width)
        ));
        row.push(if p.passed {
            if r.best == Some(p.index) {
                "pass  ← best".into()
            } else {
                "pass".into()
            }
        } else {
            format!("fail: {}", p.failures.join("; "))
        });
        rows.push(row);
    }
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut l = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i + 1 == cols {
                l.push_str(c);
            } else {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
                l.push_str("  ");
            }
        }
        s.push_str(l.trim_end());
        s.push('\n');
    }
    s.push('\n');
    match r.best.and_then(|b| r.points.iter().find(|p| p.index == b)) {
        Some(p) => {
            let vals: Vec<String> = p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!(
                "best: {} ({} = {} ± {})\n",
                vals.join(" "),
                d.metric,
                num(p.metric.mean),
                num(p.metric.half_width)
            ));
        }
        None if r.shard.is_some() => s.push_str("best: decided after `ratesim merge`\n"),
        None => s.push_str("best: no point satisfies the assertions\n"),
    }
    s
}
