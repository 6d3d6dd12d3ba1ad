//! Baseline files: every replication's metrics per strategy, saved by one
//! run and compared pairwise by a later one.

use serde::{Deserialize, Serialize};

use crate::analysis::compare::{Runs, runs_of};
use crate::report::StrategyResult;
use crate::scenario::Scenario;

/// A saved baseline: every replication's metrics per strategy, so a later
/// run can be compared pairwise with the same seeds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BaselineFile {
    /// Layout version.
    pub schema_version: u32,
    /// Always `ratesim-baseline`.
    pub kind: String,
    /// The ratesim version and catalogue date that ran it; absent in files
    /// from versions that did not record it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ratesim: Option<crate::report::Provenance>,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per strategy.
    pub replications: u32,
    /// Per strategy, per replication, metric path → value.
    pub strategies: Vec<BaselineStrategy>,
}

/// One strategy in a baseline file.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BaselineStrategy {
    /// Strategy name.
    pub strategy: String,
    /// Per replication.
    pub runs: Runs,
}

/// The `kind` tag of baseline files.
pub const BASELINE_KIND: &str = "ratesim-baseline";

/// Why a JSON file read back as a baseline cannot be compared against.
/// The message does not name the file; the reader prefixes it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BaselineError {
    /// The file parses but its `kind` is not a baseline's (another
    /// ratesim output, say a report).
    #[error("not a ratesim baseline file")]
    NotABaseline,
    /// `replications: 0`: no run to pair with.
    #[error("`replications` is 0; a baseline holds at least one run per strategy")]
    NoReplications,
    /// A strategy with a different number of runs than `replications`:
    /// runs are paired by index, so the pairing would be silently wrong.
    #[error("strategy `{strategy}` has {runs} run(s) but `replications` is {replications}")]
    RunCount {
        /// The strategy.
        strategy: String,
        /// Runs it holds.
        runs: usize,
        /// Runs every strategy should hold.
        replications: u32,
    },
}

impl BaselineFile {
    /// Every replication of every strategy (`per_strategy` holds
    /// `replications` consecutive results per strategy).
    pub fn new(scenario: &Scenario, replications: u32, per_strategy: &[StrategyResult]) -> Self {
        let strategies = per_strategy
            .chunks(replications.max(1) as usize)
            .map(|chunk| BaselineStrategy {
                strategy: chunk[0].strategy.clone(),
                runs: runs_of(chunk),
            })
            .collect();
        BaselineFile {
            schema_version: 1,
            kind: BASELINE_KIND.to_string(),
            ratesim: Some(crate::report::Provenance::current()),
            scenario: scenario.name.clone(),
            seed: scenario.sim.seed,
            replications,
            strategies,
        }
    }

    /// Checks that a file read back is a baseline that can be paired run
    /// by run; the message is to be prefixed with the file's name.
    pub fn check(&self) -> Result<(), BaselineError> {
        if self.kind != BASELINE_KIND {
            return Err(BaselineError::NotABaseline);
        }
        // Compare pairs run k of each side: a baseline must hold exactly
        // `replications` runs per strategy, or the pairing (and the gate) is
        // silently wrong.
        if self.replications == 0 {
            return Err(BaselineError::NoReplications);
        }
        if let Some(s) = self
            .strategies
            .iter()
            .find(|s| s.runs.len() != self.replications as usize)
        {
            return Err(BaselineError::RunCount {
                strategy: s.strategy.clone(),
                runs: s.runs.len(),
                replications: self.replications,
            });
        }
        Ok(())
    }
}
