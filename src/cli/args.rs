//! Argument parsers and flag groups shared by the subcommands.

use std::path::{Path, PathBuf};

use super::CliError;
use crate::engine::SimTime;
use crate::scenario::Scenario;
use crate::strategy::StrategySpec;

/// Parses `5%` or `0.05`.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    crate::text::num::parse_fraction(s)
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

/// The scenario a command runs and the two things any run may override,
/// flattened into every subcommand that simulates, so `--seed` and
/// `--duration` mean the same everywhere.
#[derive(Debug, clap::Args)]
pub struct ScenarioArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Override the scenario's seed (replication 0's seed when replicating).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the scenario's `duration` (arrival window), e.g. `30d`, `90m`.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub duration: Option<SimTime>,
}

impl ScenarioArgs {
    /// Loads the scenario and applies the overrides, as if the file said them.
    pub fn load(&self) -> Result<Scenario, CliError> {
        let mut s = Scenario::load(&self.scenario)?;
        warn(&s);
        self.apply(&mut s);
        Ok(s)
    }

    /// Applies `--seed` and `--duration` to a scenario built another way
    /// (a sweep's grid points).
    pub fn apply(&self, s: &mut Scenario) {
        if let Some(seed) = self.seed {
            s.sim.seed = seed;
        }
        if let Some(d) = self.duration {
            s.sim.horizon = d;
        }
    }
}

/// The strategy called `name`: the scenario's own, or else the built-in
/// preset of that name (so `--strategy sdk_default` works on any scenario).
/// The one place that says "no such strategy".
pub fn find_strategy(
    scenario: &Scenario,
    file: &Path,
    name: &str,
) -> Result<StrategySpec, CliError> {
    scenario
        .strategy_named(name)
        .map_err(|e| CliError::Usage(format!("{}: {e}", file.display())))
}

/// The output formats every result can be printed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text for the terminal.
    Table,
    /// JSON (`schema_version` 1).
    Json,
    /// Markdown, to paste into a pull request or a document.
    Markdown,
    /// CSV with a header row and a fixed column order.
    Csv,
}

/// Prints a scenario's warnings (things that load but look wrong) to stderr.
pub fn warn(scenario: &Scenario) {
    for w in &scenario.warnings {
        eprintln!("warning: {w}");
    }
}

impl From<Format> for crate::export::Format {
    fn from(f: Format) -> Self {
        match f {
            Format::Table => crate::export::Format::Table,
            Format::Json => crate::export::Format::Json,
            Format::Markdown => crate::export::Format::Markdown,
            Format::Csv => crate::export::Format::Csv,
        }
    }
}
