//! The command line: the only place that reads arguments, the wall clock and
//! the file system for output, and prints.

mod args;
mod compare;
mod output;
mod plan;
mod progress;
mod replicated;
mod simulate;
mod sweep;
mod tiers;
mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::scenario::Scenario;

pub use args::parse_duration;

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
    Simulate(simulate::SimulateArgs),
    /// Check scenario files without simulating (exit 0 if valid, 2 if not).
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Show the built-in catalogue: tier limits, spend caps, Batch limits,
    /// prices and cache minimums, each with its source and date.
    Tiers(tiers::TiersArgs),
    /// Compare a candidate strategy with a baseline (paired replications,
    /// 95 % intervals); exit 1 when a gated metric gets significantly worse.
    Compare(crate::cli::compare::CompareArgs),
    /// Evaluate a grid of parameters with replications, in parallel; name
    /// the best setting that passes the assertions.
    Sweep(crate::cli::sweep::SweepArgs),
    /// Join the outputs of `sweep --shard I/N` into the whole sweep.
    Merge(crate::cli::sweep::MergeArgs),
    /// Project demand growth month by month and find the limits that keep
    /// the SLO; `--out` writes a limit-increase request pack.
    Plan(plan::PlanArgs),
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
        Command::Simulate(args) => simulate::simulate(args),
        Command::Validate { files } => validate::validate(&files),
        Command::Tiers(args) => tiers::tiers(&args),
        Command::Compare(args) => gated(crate::cli::compare::run_compare(&args)),
        Command::Sweep(args) => gated(crate::cli::sweep::run_sweep(&args)),
        Command::Merge(args) => gated(crate::cli::sweep::run_merge(&args)),
        Command::Plan(args) => gated(plan::run_plan(&args)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
