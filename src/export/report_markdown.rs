//! Markdown: a report a person can paste into a pull request or a document.

use super::num::{int, opt_duration_ms};
use super::report_table::{Row, rows, rows_of};
use crate::report::Report;

/// Rows of the per-class tables (a subset of the totals table).
const CLASS_ROWS: [&str; 11] = [
    "requests",
    "succeeded",
    "failed",
    "SLO attainment",
    "429 total",
    "529 overloaded",
    "latency p50 (successes)",
    "latency p90 (successes)",
    "latency p99 (successes)",
    "goodput /min",
    "cost USD",
];

/// The report as Markdown.
pub fn to_markdown(report: &Report) -> String {
    render(report, &[])
}

/// The report as Markdown with a Charts section embedding each
/// `(title, file)` image by its relative path.
pub fn to_markdown_with_charts(report: &Report, charts: &[(String, String)]) -> String {
    render(report, charts)
}

/// A cell safe inside a table (no pipes or line breaks).
pub(crate) fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn table(s: &mut String, report: &Report, rows: &[Row]) {
    s.push_str("| metric |");
    for r in &report.results {
        s.push_str(&format!(" {} |", cell(&r.strategy)));
    }
    s.push_str("\n|---|");
    for _ in &report.results {
        s.push_str("---:|");
    }
    s.push('\n');
    for row in rows {
        s.push_str(&format!("| {} |", row.label));
        for c in &row.cells {
            s.push_str(&format!(" {c} |"));
        }
        s.push('\n');
    }
}

fn render(report: &Report, charts: &[(String, String)]) -> String {
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
    let f = |x: Option<u64>| x.map_or("unlimited".to_string(), int);
    for p in &report.pools {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            cell(&p.name),
            cell(&p.models.join(", ")),
            f(p.rpm),
            f(p.itpm),
            f(p.otpm),
            f(p.max_concurrent)
        ));
    }
    if let Some(slo) = &report.slo {
        s.push_str(&format!(
            "\nService level (`slo:`): {} of the judged requests must meet their class's rule \
             — {}. SLO attainment counts every logical request, failures included; the latency \
             percentiles below are of successes only.\n",
            super::num::pct(slo.attainment, 1),
            slo.classes
                .iter()
                .map(|(c, r)| format!("{}: {r}", cell(c)))
                .collect::<Vec<_>>()
                .join("; ")
        ));
    }
    s.push_str("\n## Results\n\nTotals over all classes.\n\n");
    table(&mut s, report, &rows(report));
    let classes: Vec<&String> = report
        .results
        .first()
        .map(|r| r.by_class.keys().collect())
        .unwrap_or_default();
    if classes.len() > 1 {
        s.push_str("\n## By class\n");
        for class in classes {
            s.push_str(&format!("\n### {}\n\n", cell(class)));
            let rows: Vec<Row> = rows_of(report, |r| &r.by_class[class])
                .into_iter()
                .filter(|row| CLASS_ROWS.contains(&row.label))
                .collect();
            table(&mut s, report, &rows);
        }
    }
    if report.results.iter().any(|r| !r.by_replica.is_empty()) {
        s.push_str(
            "\n## By replica\n\nEach replica of a fleet: what its balancer gave it and \
             what it saw (p99 over its successes only).\n",
        );
        for r in report.results.iter().filter(|r| !r.by_replica.is_empty()) {
            s.push_str(&format!(
                "\n### {}\n\n| replica | requests | succeeded | attempts | 429s | p99 (successes) |\n\
                 |---:|---:|---:|---:|---:|---:|\n",
                cell(&r.strategy)
            ));
            for x in &r.by_replica {
                s.push_str(&format!(
                    "| {} | {} | {} | {} | {} | {} |\n",
                    x.replica,
                    int(x.requests),
                    int(x.succeeded),
                    int(x.attempts),
                    int(x.rate_limited),
                    opt_duration_ms(x.p99_ms)
                ));
            }
        }
    }
    if !charts.is_empty() {
        s.push_str("\n## Charts\n");
        for (title, file) in charts {
            s.push_str(&format!("\n![{}]({file})\n", cell(title)));
        }
    }
    s.push_str("\n## Strategies\n\n");
    for r in &report.results {
        s.push_str(&format!("- **{}**: `{}`\n", r.strategy, r.layers));
    }
    s.push_str("\n## Assumptions\n\n");
    for a in &report.assumptions {
        s.push_str(&format!("- {a}\n"));
    }
    s.push_str(&super::made_with(Some(&report.ratesim)));
    s
}
