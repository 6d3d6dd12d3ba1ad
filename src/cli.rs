//! The command line: the only place that reads arguments, the wall clock and
//! the file system for output, and prints.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog_report::CatalogReport;
use crate::report::{Report, StrategyResult, to_markdown, to_table};
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
    /// Also write report.json and report.md into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace existing report files in --out.
    #[arg(long)]
    force: bool,
    /// Run only the named strategy (repeatable).
    #[arg(long = "strategy", value_name = "NAME")]
    strategies: Vec<String>,
    /// Override the scenario's seed.
    #[arg(long)]
    seed: Option<u64>,
    /// Print wall time, events/s, requests/s and peak memory to stderr.
    #[arg(long)]
    stats: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Table,
    Json,
    Markdown,
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
        Command::Compare(args) => match crate::gate::run_compare(&args) {
            Ok(0) => Ok(()),
            Ok(code) => return ExitCode::from(code),
            Err(message) => Err(usage(message)),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
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
    let targets = match &args.out {
        Some(dir) => Some(check_out_dir(dir, args.force)?),
        None => None,
    };

    let started = Instant::now();
    let mut results = Vec::new();
    let (mut events, mut requests) = (0u64, 0u64);
    for spec in &scenario.strategies {
        let m = sim::run(&scenario.sim, spec).map_err(usage)?;
        events += m.events;
        let r = StrategyResult::new(&scenario, spec, &m);
        requests += r.total.requests;
        results.push(r);
    }
    let wall = started.elapsed();
    let report = Report::new(&scenario, results);

    let text = match args.format {
        Format::Table => to_table(&report),
        Format::Json => report.to_json(),
        Format::Markdown => to_markdown(&report),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();

    if let Some((json, md)) = targets {
        write_file(&json, &report.to_json())?;
        write_file(&md, &to_markdown(&report))?;
        eprintln!("wrote {} and {}", json.display(), md.display());
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
    Ok(())
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}

fn check_out_dir(dir: &Path, force: bool) -> Result<(PathBuf, PathBuf), Failure> {
    let json = dir.join("report.json");
    let md = dir.join("report.md");
    if !force {
        for f in [&json, &md] {
            if f.exists() {
                return Err(usage(format!(
                    "{} already exists; pass --force to replace it",
                    f.display()
                )));
            }
        }
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| usage(format!("cannot create {}: {e}", dir.display())))?;
    Ok((json, md))
}

fn write_file(path: &Path, text: &str) -> Result<(), Failure> {
    std::fs::write(path, text).map_err(|e| Failure {
        code: 2,
        message: format!("cannot write {}: {e}", path.display()),
    })
}

/// Peak resident set size in KiB (Linux `VmHWM`).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
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
