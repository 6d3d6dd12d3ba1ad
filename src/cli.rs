//! The command line: the only place that reads arguments, the wall clock and
//! the file system for output, and prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog_report::CatalogReport;
use crate::charts::{self, ChartRun};
use crate::engine::SimTime;
use crate::report::{
    Report, StrategyResult, timeseries_csv, to_csv, to_markdown, to_markdown_with_charts, to_table,
};
use crate::scenario::Scenario;
use crate::sim;

/// Deterministic simulator and capacity planner for Claude API rate limits.
#[derive(Debug, Parser)]
#[command(name = "ratesim", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay a scenario's workload against each strategy and compare them.
    Simulate(SimulateArgs),
    /// Check scenario files without simulating (exit 0 if valid, 2 if not).
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show the built-in catalogue: tier limits, spend caps, Batch limits,
    /// prices and cache minimums, each with its source and date.
    Tiers(TiersArgs),
    /// Compare a candidate strategy with a baseline (paired replications,
    /// 95 % intervals); exit 1 when a gated metric gets significantly worse.
    Compare(crate::gate::CompareArgs),
    /// Evaluate a grid of parameters with replications, in parallel; name
    /// the best setting that passes the assertions.
    Sweep(crate::gate::SweepArgs),
    /// Join the outputs of `sweep --shard I/N` into the whole sweep.
    Merge(crate::gate::MergeArgs),
    /// Project demand growth month by month and find the limits that keep
    /// the SLO; `--out` writes a limit-increase request pack.
    Plan(crate::plan::PlanArgs),
}

#[derive(Debug, clap::Args)]
struct TiersArgs {
    /// Only this model's pool and prices (dated ids and aliases accepted).
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Only this profile (a name a scenario's `tier:` accepts).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = TiersFormat::Table)]
    format: TiersFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TiersFormat {
    Table,
    Json,
}

#[derive(Debug, clap::Args)]
struct SimulateArgs {
    /// Scenario file (YAML).
    scenario: PathBuf,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write report.json, report.md and PNG charts into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write the per-bucket time series (one row per strategy, pool and
    /// bucket) to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    timeseries: Option<PathBuf>,
    /// Replace existing files (in --out, --timeseries).
    #[arg(long)]
    force: bool,
    /// Run only the named strategy (repeatable).
    #[arg(long = "strategy", value_name = "NAME")]
    strategies: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Override the scenario's `duration` (arrival window), e.g. `30d`, `90m`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<SimTime>,
    /// Print wall time, events/s, requests/s and peak memory to stderr.
    #[arg(long)]
    stats: bool,
    /// Independent replications (seeds derived from the scenario's); every
    /// metric then gets a mean and a 95 % confidence interval.
    #[arg(long, short = 'n', default_value_t = 1)]
    replications: u32,
    /// Worker threads for replications (0: one per core); results do not
    /// depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    jobs: usize,
    /// An assertion on every strategy's result (repeatable), e.g.
    /// 'latency_ms.p99 < 2500' or 'token_bucket: rate_limited.total == 0';
    /// exit 1 if any fails. The scenario's `assert:` block applies too.
    #[arg(long = "assert", value_name = "EXPR")]
    asserts: Vec<String>,
    /// Save every replication's metrics here, for `compare --against`.
    #[arg(long, value_name = "FILE")]
    save_baseline: Option<PathBuf>,
    /// A baseline saved earlier: `baseline` in assertions reads it.
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    /// A comparison table for the terminal.
    Table,
    /// The full report (`schema_version` 1).
    Json,
    /// A report to paste into a pull request or a document.
    Markdown,
    /// One row per strategy and class (`all` for the totals).
    Csv,
}

/// An error with the exit code it maps to.
struct Failure {
    code: u8,
    message: String,
}

fn usage(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

/// Parses arguments, runs the command and returns the process exit code:
/// 0 success, 2 bad input or usage.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Simulate(args) => simulate(args),
        Command::Validate { files } => validate(&files),
        Command::Tiers(args) => tiers(&args),
        Command::Compare(args) => gated(crate::gate::run_compare(&args)),
        Command::Sweep(args) => gated(crate::gate::run_sweep(&args)),
        Command::Merge(args) => gated(crate::gate::run_merge(&args)),
        Command::Plan(args) => gated(crate::plan::run_plan(&args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// Maps a gate command's outcome: `Ok(code)` is its exit code (1: the gate
/// failed), `Err` a usage error (exit 2).
fn gated(r: Result<u8, String>) -> Result<(), Failure> {
    match r {
        Ok(0) => Ok(()),
        Ok(code) => Err(Failure {
            code,
            message: "the gate failed (see above)".into(),
        }),
        Err(message) => Err(usage(message)),
    }
}

fn load(path: &Path) -> Result<Scenario, Failure> {
    Scenario::load(path).map_err(|e| usage(e.to_string()))
}

fn validate(files: &[PathBuf]) -> Result<(), Failure> {
    let mut bad = 0;
    for f in files {
        match Scenario::load(f) {
            Ok(s) => println!(
                "{}: ok ({}, {})",
                f.display(),
                plural(s.sim.streams.len(), "stream"),
                plural(s.strategies.len(), "strategy")
            ),
            Err(e) => {
                eprintln!("error: {e}");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        Err(usage(format!(
            "{bad} of {} scenario(s) invalid",
            files.len()
        )))
    } else {
        Ok(())
    }
}

fn tiers(args: &TiersArgs) -> Result<(), Failure> {
    let report = CatalogReport::build(args.model.as_deref(), args.profile.as_deref())
        .map_err(|e| usage(e.to_string()))?;
    let text = match args.format {
        TiersFormat::Table => report.to_table(),
        TiersFormat::Json => report.to_json(),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    Ok(())
}

fn simulate(args: SimulateArgs) -> Result<(), Failure> {
    let mut scenario = load(&args.scenario)?;
    if let Some(seed) = args.seed {
        scenario.sim.seed = seed;
    }
    if let Some(d) = args.duration {
        scenario.sim.horizon = d;
    }
    if !args.strategies.is_empty() {
        for name in &args.strategies {
            if !scenario.strategies.iter().any(|s| &s.name == name) {
                let known: Vec<_> = scenario
                    .strategies
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                return Err(usage(format!(
                    "--strategy {name}: no such strategy in {} (have: {})",
                    args.scenario.display(),
                    known.join(", ")
                )));
            }
        }
        scenario
            .strategies
            .retain(|s| args.strategies.contains(&s.name));
    }
    let checks = crate::gate::assertions(&scenario, &args.asserts).map_err(usage)?;
    let against = match &args.against {
        Some(p) => Some(crate::gate::read_baseline(p).map_err(usage)?),
        None => None,
    };
    if let Some(p) = &args.save_baseline {
        check_output_file(p, args.force)?;
    }
    if let Some(p) = &args.timeseries {
        check_output_file(p, args.force)?;
    }
    crate::replicate::check_replications(args.replications).map_err(usage)?;
    if args.replications > 1 && (matches!(args.format, Format::Csv) || args.timeseries.is_some()) {
        return Err(usage(
            "--format csv and --timeseries describe a single run; drop --replications",
        ));
    }
    if args.replications > 1 {
        let opts = crate::gate::ReplicatedOutput {
            json: matches!(args.format, Format::Json),
            markdown: matches!(args.format, Format::Markdown),
            out: args.out.clone(),
            force: args.force,
            save_baseline: args.save_baseline.clone(),
            stats: args.stats,
        };
        return gated(crate::gate::simulate_replicated(
            &scenario,
            args.replications,
            args.jobs,
            &checks,
            against.as_ref(),
            &opts,
        ));
    }
    // The charts depend only on the scenario's pools: name every file
    // before simulating, so nothing is overwritten without --force.
    let planned = charts::planned(&Report::new(&scenario, Vec::new()));
    let chart_files: Vec<&str> = planned.iter().map(|c| c.file.as_str()).collect();
    let targets = match &args.out {
        Some(dir) => Some(check_out_dir(dir, &chart_files, args.force)?),
        None => None,
    };

    let started = Instant::now();
    let mut results = Vec::new();
    let mut runs = Vec::new();
    let (mut events, mut requests) = (0u64, 0u64);
    for spec in &scenario.strategies {
        let m = sim::run(&scenario.sim, spec).map_err(usage)?;
        events += m.events;
        let r = StrategyResult::new(&scenario, spec, &m);
        requests += r.total.requests;
        results.push(r);
        runs.push(m);
    }
    let wall = started.elapsed();
    let report = Report::new(&scenario, results);

    let verdicts =
        crate::gate::check_results(&report.results, &checks, against.as_ref()).map_err(usage)?;
    let mut text = match args.format {
        Format::Table => to_table(&report),
        Format::Json => crate::gate::json_with_assertions(&report, &verdicts),
        Format::Markdown => to_markdown(&report),
        Format::Csv => to_csv(&report),
    };
    if matches!(args.format, Format::Csv) {
        // Keep stdout a clean CSV.
        eprint!("{}", crate::gate::assertion_text(&verdicts, false));
    } else if !matches!(args.format, Format::Json) {
        text.push_str(&crate::gate::assertion_text(
            &verdicts,
            matches!(args.format, Format::Markdown),
        ));
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    if let Some(p) = &args.save_baseline {
        crate::gate::save_baseline(p, &scenario, 1, &report.results).map_err(usage)?;
    }

    if let (Some((json, md)), Some(dir)) = (targets, args.out.as_deref()) {
        write_file(&json, &report.to_json())?;
        let totals: Vec<_> = runs.iter().map(|m| m.total().latency_us).collect();
        let chart_runs: Vec<ChartRun<'_>> = runs
            .iter()
            .zip(&totals)
            .map(|(m, latency_us)| ChartRun {
                series: &m.series,
                latency_us,
            })
            .collect();
        let drawn = charts::render(dir, &report, &chart_runs)
            .map_err(|message| Failure { code: 2, message })?;
        let embedded: Vec<(String, String)> =
            drawn.into_iter().map(|c| (c.title, c.file)).collect();
        write_file(&md, &to_markdown_with_charts(&report, &embedded))?;
        eprintln!(
            "wrote {}, {} and {} charts in {}",
            json.display(),
            md.display(),
            embedded.len(),
            dir.display()
        );
    }
    if let Some(p) = &args.timeseries {
        let series: Vec<_> = runs.iter().map(|m| &m.series).collect();
        write_file(p, &timeseries_csv(&report, &series))?;
        eprintln!("wrote {}", p.display());
    }
    if args.stats {
        let secs = wall.as_secs_f64().max(1e-9);
        eprintln!(
            "stats: wall {:.3} s, {} events ({:.0}/s), {} logical requests ({:.0}/s), peak RSS {}",
            secs,
            events,
            events as f64 / secs,
            requests,
            requests as f64 / secs,
            peak_rss().map_or("unknown".to_string(), |kb| format!(
                "{:.1} MB",
                kb as f64 / 1024.0
            )),
        );
    }
    if verdicts.iter().any(|v| !v.passed) {
        return Err(Failure {
            code: 1,
            message: "assertions failed (see above)".into(),
        });
    }
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}

/// Fails, before any simulating, if a report file could not be written
/// afterwards: it exists (without `force`), or its directory does not.
fn check_output_file(path: &Path, force: bool) -> Result<(), Failure> {
    crate::gate::refuse_overwrite(&[path], force).map_err(usage)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(usage(format!(
            "cannot write {}: {} is not a directory",
            path.display(),
            dir.display()
        )));
    }
    Ok(())
}

fn check_out_dir(dir: &Path, charts: &[&str], force: bool) -> Result<(PathBuf, PathBuf), Failure> {
    let json = dir.join("report.json");
    let md = dir.join("report.md");
    let files: Vec<PathBuf> = [json.clone(), md.clone()]
        .into_iter()
        .chain(charts.iter().map(|c| dir.join(c)))
        .collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    crate::gate::refuse_overwrite(&refs, force).map_err(usage)?;
    crate::gate::create_dir(dir).map_err(usage)?;
    Ok((json, md))
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    crate::gate::write_text(path, text).map_err(usage)
}

/// Peak resident set size in KiB (Linux `VmHWM`).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// `--duration`: the scenario file's spelling and bounds. Shared by every
/// command that runs a scenario, so a quick look at a shorter horizon reads
/// the same everywhere.
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    let d = crate::scenario::duration::parse(s).map_err(|e| e.to_string())?;
    if d == SimTime::ZERO || d > crate::scenario::MAX_DURATION {
        return Err("must be > 0 and at most 366 days".into());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
