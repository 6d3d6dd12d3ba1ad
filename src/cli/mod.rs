//! The command line: the only place that reads arguments, the wall clock and
//! the file system for output, and prints.

mod args;
mod compare;
mod completions;
mod import;
mod man;
mod output;
mod plan;
mod progress;
mod replicated;
mod serve;
mod simulate;
mod sweep;
mod tiers;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub use args::parse_duration;

/// Deterministic simulator and capacity planner for Claude API rate limits.
#[derive(Debug, Parser)]
#[command(
    name = "ratesim",
    version,
    about,
    long_about = None,
    after_help = "Examples:
  ratesim simulate scenarios/tier1.yaml
  ratesim compare scenarios/ci-gate.yaml --baseline current --candidate proposed -n 10
  ratesim completions bash > ~/.local/share/bash-completion/completions/ratesim"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replay a scenario's workload against each strategy and compare them.
    Simulate(simulate::SimulateArgs),
    /// Check scenario files without simulating (exit 0 if valid, 2 if not).
    #[command(after_help = "Examples:
  ratesim validate scenarios/tier1.yaml
  ratesim validate scenarios/*.yaml")]
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
    Compare(compare::CompareArgs),
    /// Evaluate a grid of parameters with replications, in parallel; name
    /// the best setting that passes the assertions.
    Sweep(sweep::SweepArgs),
    /// Join the outputs of `sweep --shard I/N` into the whole sweep.
    Merge(sweep::MergeArgs),
    /// Project demand growth month by month and find the limits that keep
    /// the SLO; `--out` writes a limit-increase request pack.
    Plan(plan::PlanArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff), or write one per subcommand with --out.
    Man(man::ManArgs),
    /// Turn usage reports, GenAI spans or LiteLLM spend logs (and the
    /// organisation's limits) into a commented scenario.
    Import(import::ImportArgs),
    /// Serve a local Claude API with a tier's (or a scenario's) rate limits.
    Serve(serve::ServeArgs),
}

/// `--version`: the version and the date of the built-in catalogue, since
/// results depend on both.
pub fn version() -> &'static str {
    static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "{} (catalogue {})",
            env!("CARGO_PKG_VERSION"),
            crate::model::catalog::CATALOG_DATE
        )
    });
    VERSION.as_str()
}

/// The clap command the binary parses with (and completions and man pages
/// are generated from, so they never drift from it).
pub fn command() -> clap::Command {
    Cli::command().version(version())
}

/// Why a command did not end in success, and the exit code each maps to
/// (ripgrep's convention: 1 "ran, but the answer is no", 2 an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// Bad input or usage (exit 2).
    #[error("{0}")]
    Usage(String),
    /// A scenario file that does not load (exit 2).
    #[error(transparent)]
    Scenario(#[from] crate::scenario::ScenarioError),
    /// A run that cannot start: a scenario built or edited in code with
    /// impossible parameters (exit 2).
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    /// Replications that cannot run: their count, `--jobs` or the worker
    /// threads (exit 2).
    #[error(transparent)]
    Replicate(#[from] crate::analysis::replicate::ReplicateError),
    /// An `--assert` that does not parse or cannot be judged (exit 2).
    #[error(transparent)]
    Check(#[from] crate::analysis::checks::CheckError),
    /// A `--param` that does not parse (exit 2).
    #[error(transparent)]
    Param(#[from] crate::analysis::sweep::ParamError),
    /// A sweep's points that cannot be built or evaluated (exit 2).
    #[error(transparent)]
    Sweep(#[from] crate::analysis::sweep::SweepError),
    /// Shard files that do not merge into one sweep (exit 2).
    #[error(transparent)]
    Merge(#[from] crate::analysis::sweep::MergeError),
    /// A plan that cannot be made, e.g. an unreachable SLO (exit 2).
    #[error(transparent)]
    Plan(#[from] crate::analysis::plan::PlanError),
    /// An output file that cannot be written, or a saved file that cannot be
    /// read back (exit 2).
    #[error(transparent)]
    Output(#[from] output::OutputError),
    /// A chart that could not be drawn or encoded (exit 2).
    #[error(transparent)]
    Chart(#[from] crate::charts::ChartError),
    /// The command ran and a gate or an assertion failed (exit 1); what
    /// failed is already on stdout.
    #[error("{0}")]
    Failed(&'static str),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Failed(_) => 1,
            _ => 2,
        }
    }
}

impl From<crate::export::Unsupported> for CliError {
    fn from(e: crate::export::Unsupported) -> Self {
        CliError::Usage(e.to_string())
    }
}

/// Parses arguments, runs the command and returns the process exit code:
/// 0 success, 1 a gate or assertion failed, 2 bad input or usage.
pub fn main() -> ExitCode {
    let cli = match command()
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Simulate(args) => simulate::run(args),
        Command::Validate { files } => validate::run(&files),
        Command::Tiers(args) => tiers::run(&args),
        Command::Compare(args) => compare::run(&args),
        Command::Sweep(args) => sweep::run_sweep(&args),
        Command::Merge(args) => sweep::run_merge(&args),
        Command::Plan(args) => plan::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Serve(args) => serve::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Writes `text` to stdout; a closed pipe (`| head`) is not an error.
fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        command().debug_assert();
    }
}
