//! Markdown: a report a person can paste into a pull request or a document.

use super::Report;
use super::table::rows;

/// The report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    let mut s = format!("# ratesim: {}\n\n", report.scenario);
    s.push_str(&format!(
        "Seed {}, {} simulated seconds (+{} s drain), `{}` limiter, OTPM `{}`, {}.\n\n",
        report.seed,
        report.duration_s,
        report.drain_s,
        report.limiter.algorithm,
        report.limiter.otpm_accounting,
        report.tier
    ));
    s.push_str(
        "| pool | models | RPM | ITPM | OTPM | max concurrent |\n|---|---|---:|---:|---:|---:|\n",
    );
    let f = |x: Option<u64>| x.map_or("unlimited".to_string(), |v| v.to_string());
    for p in &report.pools {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            p.name,
            p.models.join(", "),
            f(p.rpm),
            f(p.itpm),
            f(p.otpm),
            f(p.max_concurrent)
        ));
    }
    s.push_str("\n## Results\n\n| metric |");
    for r in &report.results {
        s.push_str(&format!(" {} |", r.strategy));
    }
    s.push_str("\n|---|");
    for _ in &report.results {
        s.push_str("---:|");
    }
    s.push('\n');
    for row in rows(report) {
        s.push_str(&format!("| {} |", row.label));
        for c in &row.cells {
            s.push_str(&format!(" {c} |"));
        }
        s.push('\n');
    }
    s.push_str("\n## Strategies\n\n");
    for r in &report.results {
        s.push_str(&format!("- **{}**: {}\n", r.strategy, r.layers));
    }
    s.push_str("\n## Assumptions\n\n");
    for a in &report.assumptions {
        s.push_str(&format!("- {a}\n"));
    }
    s
}
