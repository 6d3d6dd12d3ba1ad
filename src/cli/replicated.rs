//! `ratesim simulate --replications N`.

use std::path::PathBuf;

use super::args::Format;
use super::{CliError, print};

use crate::analysis::baseline::BaselineFile;
use crate::analysis::checks::check_values;
use crate::analysis::replicate;
use crate::assertions::Assertion;
use crate::cli::output::save_baseline;
use crate::cli::output::{prepare_dir, write_text};
use crate::cli::progress::progress;
use crate::export::replicated::ReplicatedReport;
use crate::export::{Format as ExportFormat, render};
use crate::scenario::Scenario;

/// How `simulate --replications N` writes its output.
#[derive(Debug, Clone)]
pub struct ReplicatedOutput {
    /// What goes to stdout.
    pub format: Format,
    /// Also write report.json and report.md here.
    pub out: Option<PathBuf>,
    /// Replace existing files.
    pub force: bool,
    /// Save every replication for `compare --against`.
    pub save_baseline: Option<PathBuf>,
    /// Print timing to stderr.
    pub stats: bool,
}

/// `simulate --replications N`: every strategy N times in parallel; the
/// report's numbers are means, with `ci95` intervals per metric.
pub fn run(
    scenario: &Scenario,
    n: u32,
    jobs: usize,
    checks: &[Assertion],
    against: Option<&BaselineFile>,
    opts: &ReplicatedOutput,
) -> Result<(), CliError> {
    let started = std::time::Instant::now();
    let bar = progress(scenario.strategies.len() as u64 * n as u64, "replications");
    let reps = replicate::run(scenario, &scenario.strategies, n, jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let firsts: Vec<_> = reps.iter().map(|r| r.runs[0].clone()).collect();
    let report = crate::report::Report::new(scenario, firsts);
    // Assertions are judged on each strategy's means.
    let summaries: Vec<(String, serde_json::Value)> = reps
        .iter()
        .map(|r| (r.strategy.clone(), replicate::summary_value(r)))
        .collect();
    let verdicts = check_values(&summaries, checks, against)?;
    let result = ReplicatedReport {
        report: &report,
        reps: &reps,
        n,
        assertions: &verdicts,
    };
    if let Some(dir) = &opts.out {
        let files = prepare_dir(dir, &["report.json", "report.md"], opts.force)?;
        write_text(&files[0], &render(&result, ExportFormat::Json)?)?;
        write_text(&files[1], &render(&result, ExportFormat::Markdown)?)?;
        eprintln!("wrote {} and {}", files[0].display(), files[1].display());
    }
    print(&render(&result, opts.format.into())?);
    if let Some(p) = &opts.save_baseline {
        let all: Vec<_> = reps.iter().flat_map(|r| r.runs.iter().cloned()).collect();
        save_baseline(p, &BaselineFile::new(scenario, n, &all))?;
    }
    if opts.stats {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let events: u64 = reps.iter().flat_map(|r| &r.runs).map(|r| r.events).sum();
        let requests: u64 = reps
            .iter()
            .flat_map(|r| &r.runs)
            .map(|r| r.total.requests)
            .sum();
        eprintln!(
            "stats: wall {secs:.3} s, {n} replications, {events} events ({:.0}/s), {requests} logical requests ({:.0}/s)",
            events as f64 / secs,
            requests as f64 / secs
        );
    }
    if verdicts.iter().any(|v| !v.passed) {
        return Err(CliError::Failed("assertions failed (see above)"));
    }
    Ok(())
}
