//! `ratesim tiers`: the catalogue as text, JSON, Markdown and CSV.

use crate::export::int;
use crate::export::report_csv::field;
use crate::export::text_table::{Align, TextTable};
use crate::export::{Format, Render, Unsupported};

use crate::report::catalog::*;

impl CatalogReport {
    /// Pretty-printed JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        crate::report::json::pretty(self)
    }

    /// The terminal rendering.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        out.push_str("ratesim catalogue: limits per minute, money in USD; ");
        out.push_str("every figure can be overridden in a scenario (`pools:`, `latency.models`)\n");
        for p in &self.profiles {
            out.push('\n');
            out.push_str(&profile_table(p));
        }
        out.push('\n');
        out.push_str(&prices_table(&self.models));
        out.push('\n');
        let b = &self.batch_api;
        out.push_str(&format!(
            "batch API: {:.0}% of standard prices (stacks with caching); at most {} requests or {} MB per batch; expires after {} h\n",
            b.discount * 100.0,
            int(b.max_requests_per_batch),
            b.max_batch_mb,
            b.expiry_hours
        ));
        out.push('\n');
        out.push_str("sources\n");
        for s in &self.sources {
            out.push_str(&format!("  {}: {}\n", s.topic, s.source));
        }
        out
    }
}

fn opt(x: Option<u64>) -> String {
    x.map_or_else(|| "-".to_string(), int)
}

fn usd(x: u64) -> String {
    format!("${}", int(x))
}

/// Aligned columns: text columns left-aligned, the rest right-aligned.
fn columns(indent: &str, header: &[&str], left: &[bool], rows: &[Vec<String>]) -> String {
    let align = |l: &bool| if *l { Align::Left } else { Align::Right };
    let mut t = TextTable::new(header.iter().copied().zip(left.iter().map(align))).indent(indent);
    for r in rows {
        t.row(r.iter().cloned());
    }
    t.render()
}

fn profile_table(p: &ProfileReport) -> String {
    let mut out = format!("{} — {} — {}\n", p.name, p.title, p.label);
    out.push_str(&format!("  source: {} — as of {}\n", p.source, p.read));
    let s = &p.spend;
    let mut spend = Vec::new();
    if let Some(x) = s.credit_purchase_usd {
        spend.push(format!("credit purchase to reach {}", usd(x)));
    }
    if let Some(x) = s.max_single_purchase_usd {
        spend.push(format!("max single purchase {}", usd(x)));
    }
    if let Some(x) = s.monthly_limit_usd {
        spend.push(format!("monthly spend limit {}", usd(x)));
    }
    if spend.is_empty() {
        out.push_str("  spend: no figures in this source\n");
    } else {
        out.push_str(&format!("  spend: {}\n", spend.join("; ")));
    }
    if !p.pools.is_empty() {
        let rows: Vec<Vec<String>> = p
            .pools
            .iter()
            .map(|r| {
                vec![
                    r.pool.to_string(),
                    opt(r.rpm),
                    opt(r.itpm),
                    opt(r.otpm),
                    opt(r.tpm),
                    r.models.join(", "),
                ]
            })
            .collect();
        out.push_str(&columns(
            "  ",
            &[
                "pool",
                "RPM",
                "ITPM",
                "OTPM",
                "TPM",
                "models sharing the pool",
            ],
            &[true, false, false, false, false, true],
            &rows,
        ));
    }
    for pool in &p.pools_without_figures {
        out.push_str(&format!(
            "  {pool}: no figures in this source (set them under `pools.{pool}`)\n"
        ));
    }
    match &p.batch {
        Some(b) => out.push_str(&format!(
            "  batch API (shared by all models): {} RPM, {} requests queued, {} requests per batch\n",
            int(b.rpm),
            int(b.max_queued_requests),
            int(b.max_batch_requests)
        )),
        None => out.push_str("  batch API: no figures in this source\n"),
    }
    for n in &p.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    out
}

fn prices_table(models: &[ModelReport]) -> String {
    let money = |x: f64| format!("{x:.2}");
    let rows: Vec<Vec<String>> = models
        .iter()
        .map(|m| {
            let p = &m.prices;
            vec![
                format!(
                    "{}{}",
                    m.id,
                    if m.itpm_counts_cache_reads {
                        " †"
                    } else {
                        ""
                    }
                ),
                m.pool.to_string(),
                money(p.input),
                money(p.output),
                money(p.cache_write_5m),
                money(p.cache_write_1h),
                money(p.cache_read),
                money(p.batch_input),
                money(p.batch_output),
                int(m.min_cacheable_tokens),
            ]
        })
        .collect();
    let mut out =
        String::from("prices, USD per million tokens; minimum cacheable prompt, tokens\n");
    out.push_str(&columns(
        "  ",
        &[
            "model",
            "pool",
            "input",
            "output",
            "cache write 5m",
            "cache write 1h",
            "cache read",
            "batch input",
            "batch output",
            "min cacheable",
        ],
        &[
            true, true, false, false, false, false, false, false, false, false,
        ],
        &rows,
    ));
    if models.iter().any(|m| m.itpm_counts_cache_reads) {
        out.push_str("  † cache reads count toward ITPM\n");
    }
    out
}

impl CatalogReport {
    /// Markdown: per profile its source, spend and a table of pools; then
    /// the prices and every source.
    pub fn to_markdown(&self) -> String {
        let md = |s: &str| s.replace('|', "\\|");
        let mut out = String::from(
            "# ratesim catalogue\n\nLimits per minute, money in USD; every figure can be overridden in a scenario (`pools:`, `latency.models`).\n",
        );
        for p in &self.profiles {
            out.push_str(&format!(
                "\n## `{}` — {} — {}\n\n",
                p.name, p.title, p.label
            ));
            out.push_str(&format!("Source: {} — as of {}.\n\n", p.source, p.read));
            if !p.pools.is_empty() {
                out.push_str("| pool | RPM | ITPM | OTPM | TPM | models sharing the pool |\n|---|---:|---:|---:|---:|---|\n");
                for r in &p.pools {
                    out.push_str(&format!(
                        "| {} | {} | {} | {} | {} | {} |\n",
                        r.pool,
                        opt(r.rpm),
                        opt(r.itpm),
                        opt(r.otpm),
                        opt(r.tpm),
                        md(&r.models.join(", "))
                    ));
                }
                out.push('\n');
            }
            for pool in &p.pools_without_figures {
                out.push_str(&format!("- `{pool}`: no figures in this source\n"));
            }
            if let Some(b) = &p.batch {
                out.push_str(&format!(
                    "- Batch API (shared by all models): {} RPM, {} requests queued, {} requests per batch\n",
                    int(b.rpm),
                    int(b.max_queued_requests),
                    int(b.max_batch_requests)
                ));
            }
            for n in &p.notes {
                out.push_str(&format!("- Note: {}\n", md(n)));
            }
        }
        out.push_str("\n## Prices\n\nUSD per million tokens; minimum cacheable prompt in tokens.\n\n| model | pool | input | output | cache write 5m | cache write 1h | cache read | batch input | batch output | min cacheable |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for m in &self.models {
            let p = &m.prices;
            out.push_str(&format!(
                "| {}{} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} |\n",
                m.id,
                if m.itpm_counts_cache_reads {
                    " †"
                } else {
                    ""
                },
                m.pool,
                p.input,
                p.output,
                p.cache_write_5m,
                p.cache_write_1h,
                p.cache_read,
                p.batch_input,
                p.batch_output,
                int(m.min_cacheable_tokens)
            ));
        }
        if self.models.iter().any(|m| m.itpm_counts_cache_reads) {
            out.push_str("\n† cache reads count toward ITPM.\n");
        }
        out.push_str("\n## Sources\n\n");
        for s in &self.sources {
            out.push_str(&format!("- {}: {}\n", s.topic, md(s.source)));
        }
        out.push_str(&super::made_with(Some(&self.ratesim)));
        out
    }

    /// CSV: one row per profile and pool with the profile's source and the
    /// date it was read; unlimited or unpublished figures are empty.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("profile,official,pool,rpm,itpm,otpm,tpm,models,source,read\n");
        let cell = |x: Option<u64>| x.map_or(String::new(), |v| v.to_string());
        for p in &self.profiles {
            for r in &p.pools {
                let row = [
                    field(p.name),
                    p.official.to_string(),
                    field(r.pool),
                    cell(r.rpm),
                    cell(r.itpm),
                    cell(r.otpm),
                    cell(r.tpm),
                    field(&r.models.join(" ")),
                    field(p.source),
                    field(p.read),
                ];
                out.push_str(&row.join(","));
                out.push('\n');
            }
        }
        out
    }
}

impl Render for CatalogReport {
    fn name(&self) -> &'static str {
        "the catalogue"
    }

    fn render(&self, format: Format) -> Result<String, Unsupported> {
        Ok(match format {
            Format::Table => self.to_table(),
            Format::Json => self.to_json(),
            Format::Markdown => self.to_markdown(),
            Format::Csv => self.to_csv(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_is_a_public_url_with_a_date_not_a_repository_path() {
        let c = CatalogReport::build(None, None).unwrap();
        let sources = c
            .profiles
            .iter()
            .map(|p| p.source)
            .chain(c.sources.iter().map(|s| s.source));
        for s in sources {
            // Assumptions (latency) have no source to cite, and say so.
            let assumed = s.contains("not published");
            assert!(assumed || s.contains("https://"), "no public URL: {s}");
            for local in ["shared/", "seeds/", ".txt", "project copy"] {
                assert!(!s.contains(local), "cites a repository file: {s}");
            }
        }
        for p in &c.profiles {
            assert_eq!(p.read.len(), 10, "{}: read {}", p.name, p.read);
        }
        let table = c.to_table();
        assert!(table.contains("— as of 2026-04-23"));
    }

    #[test]
    fn markdown_and_csv_carry_the_same_pools_as_the_table() {
        let c = CatalogReport::build(Some("claude-sonnet-4-5"), Some("tier1")).unwrap();
        let md = c.to_markdown();
        assert!(
            md.contains("| sonnet-4 | 50 | 30,000 | 8,000 | - |"),
            "{md}"
        );
        assert!(md.contains("https://platform.claude.com/docs/en/api/rate-limits"));
        let csv = c.to_csv();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("profile,official,pool,rpm,itpm,otpm,tpm,models,source,read")
        );
        let row = lines.next().unwrap();
        assert!(
            row.starts_with("tier1,true,sonnet-4,50,30000,8000,,"),
            "{row}"
        );
        assert!(row.ends_with(",2026-04-23"), "{row}");
        assert_eq!(lines.next(), None);
    }
}
