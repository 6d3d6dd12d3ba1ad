//! Scenario files: YAML in, a validated [`Scenario`] out.
//!
//! Parsing happens in two passes: serde-saphyr turns the text into the raw
//! types of [`raw`] (catching unknown fields, wrong types, malformed YAML),
//! then `Scenario::from_raw` checks meaning (positive rates, known models
//! and presets) one block at a time, in the steps of `build/`, using the
//! locations the raw types kept. Durations go through [`duration::parse`],
//! traces through `trace/`.

mod build;
pub mod duration;
mod error;
#[allow(missing_docs)]
pub mod raw;
mod trace;

use std::path::Path;

use serde_saphyr::Location;

pub use build::DEFAULT_ATTAINMENT;
pub use duration::DurationError;
pub(crate) use error::read_text;
pub use error::{ErrorKind, ScenarioError, StrategyLookupError, Warning};
use raw::RawScenario;
pub use trace::parse_trace;

use crate::assertions::Assertion;
use crate::engine::SimTime;
use crate::model::ProviderConfig;
use crate::sim::SimConfig;
use crate::strategy::{Preset, StrategySpec};
use crate::text::suggest;

/// A validated scenario, ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// The tier whose limits were the starting point.
    pub tier: String,
    /// The calendar date and time at simulated time zero (`start:`), so
    /// plans can name months ("March 2027") and `by:` SLO rules a time of
    /// day; `None` when the scenario is not dated.
    pub start: Option<jiff::civil::DateTime>,
    /// Pool names, by pool index.
    pub pool_names: Vec<String>,
    /// Everything the simulator needs.
    pub sim: SimConfig,
    /// Strategies to compare, in file order.
    pub strategies: Vec<StrategySpec>,
    /// Checks from the `assert:` block, for gating.
    pub assertions: Vec<Assertion>,
    /// Things that are valid but probably not what the author meant (a
    /// deadline no request can meet, spikes or trace rows outside the
    /// simulated window), stream by stream, for the CLI to print.
    pub warnings: Vec<Warning>,
}

/// Default random seed when the scenario gives none.
pub const DEFAULT_SEED: u64 = 1;

/// Longest simulated arrival window a scenario may ask for.
pub const MAX_DURATION: SimTime = SimTime(366 * 24 * 3600 * SimTime::NANOS_PER_SEC);

/// How long requests may finish after arrivals stop, unless `drain:` says.
const DEFAULT_DRAIN: SimTime = SimTime(600 * SimTime::NANOS_PER_SEC);

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = read_text(path, "scenario")?;
        Scenario::from_yaml_str(&path.display().to_string(), &text)
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn from_yaml_str(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        if text.trim().is_empty() {
            return Err(ScenarioError::whole_file(
                file,
                ErrorKind::Syntax,
                "scenario is empty: expected a YAML mapping with name, duration and streams",
            ));
        }
        let raw: RawScenario =
            serde_saphyr::from_str(text).map_err(|e| ScenarioError::from_yaml(file, text, &e))?;
        let cx = Cx { file, text };
        Scenario::from_raw(&cx, raw)
    }

    /// The second pass: each block of the file becomes its part of the
    /// simulator's configuration, in an order where every step has what it
    /// needs (pools before workspaces, models before latency, classes before
    /// the router, strategies before the assertions that name them).
    fn from_raw(cx: &Cx, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let horizon = build::horizon(cx, &raw.duration)?;
        let start = build::start(cx, raw.start.as_ref())?;
        let tier = build::tier(cx, raw.tier.as_ref())?;
        let limiter = build::limiter(cx, raw.limiter.as_ref())?;
        let used = build::used_models(cx, &raw)?;
        let pool_limits = build::pool_limits(cx, &raw, &tier, &used.pool_names)?;
        let workspaces = build::workspaces(cx, &raw.workspaces, &used.pool_names)?;
        let acceleration = build::acceleration(cx, raw.acceleration.as_ref())?;
        let batch = build::batch(cx, &tier, raw.batch.as_ref())?;
        let latency = build::latency(cx, raw.latency.as_ref(), &used.models, &used.pool_names)?;
        let overload = build::overload(cx, raw.overload.as_ref())?;
        let mut warnings = Vec::new();
        let env = build::StreamEnv {
            tier: &tier,
            batch: batch.is_some(),
            workspaces: &workspaces,
            latency: &latency,
            horizon,
        };
        let (streams, classes) = build::streams(cx, &raw, used.traces, &env, &mut warnings)?;
        let router = build::router(cx, &raw.router, &classes, &latency.models, &streams)?;
        let strategies = build::strategies(cx, raw.strategies.as_ref(), &tier, batch.is_some())?;
        let assertions = build::assertions(cx, &raw.asserts, &strategies)?;
        let slo = build::slo(cx, raw.slo.as_ref(), &classes, build::start_offset(start))?;
        let provider = ProviderConfig {
            models: latency.models,
            pools: used
                .pool_names
                .iter()
                .cloned()
                .zip(pool_limits.iter().copied())
                .collect(),
            limiter,
            network_rtt: latency.network_rtt,
            overload,
            workspaces,
            acceleration,
            batch,
        };
        Ok(Scenario {
            assertions,
            name: raw.name,
            description: raw.description,
            tier,
            start,
            pool_names: used.pool_names,
            sim: SimConfig {
                seed: raw.seed.unwrap_or(DEFAULT_SEED),
                horizon,
                drain: raw.drain.map_or(DEFAULT_DRAIN, |d| d.0),
                provider,
                streams,
                classes,
                client_limits: pool_limits,
                latency_noise_sigma: latency.noise_sigma,
                router,
                slo,
            },
            strategies,
            warnings,
        })
    }

    /// A class's SLO rule as written on a command line (`30s`, `none`,
    /// `by:06:00`, `exclude` → `None`); `by:` counts from this scenario's
    /// `start:`.
    pub fn slo_rule(&self, text: &str) -> Result<Option<crate::metrics::SloRule>, String> {
        build::parse_rule(text, build::start_offset(self.start))
    }

    /// The scenario's strategy called `name`, or else the built-in preset of
    /// that name, built exactly as if the scenario had listed the bare preset
    /// name (so `--strategy sdk_default` works on a scenario that compares
    /// other strategies).
    pub fn strategy_named(&self, name: &str) -> Result<StrategySpec, StrategyLookupError> {
        if let Some(s) = self.strategies.iter().find(|s| s.name == name) {
            return Ok(s.clone());
        }
        if let Some(p) = Preset::from_name(name) {
            let spec = p.spec();
            if spec.batch_offload.is_some() && self.sim.provider.batch.is_none() {
                return Err(StrategyLookupError::NeedsBatch {
                    name: name.to_string(),
                    tier: self.tier.clone(),
                });
            }
            return Ok(spec);
        }
        let scenario: Vec<String> = self.strategies.iter().map(|s| s.name.clone()).collect();
        let presets: Vec<&'static str> = Preset::ALL.iter().map(|p| p.name()).collect();
        let candidates = scenario.iter().map(String::as_str).chain(presets.clone());
        let did_you_mean = suggest::did_you_mean(name, candidates)
            .into_iter()
            .map(str::to_string)
            .collect();
        Err(StrategyLookupError::Unknown {
            name: name.to_string(),
            scenario,
            presets,
            did_you_mean,
        })
    }
}

/// The file being validated: where errors and warnings point.
struct Cx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Cx<'_> {
    /// An error about the value at `loc`.
    fn err(&self, loc: &Location, msg: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.text, *loc, ErrorKind::Invalid, msg)
    }

    /// An error about a name that is not one of `known` (with "did you mean").
    fn unknown<'k>(
        &self,
        loc: &Location,
        name: &str,
        known: impl IntoIterator<Item = &'k str> + Clone,
        msg: impl Into<String>,
    ) -> ScenarioError {
        let close: Vec<String> = suggest::did_you_mean(name, known)
            .into_iter()
            .map(str::to_string)
            .collect();
        let mut msg = msg.into();
        if !close.is_empty() {
            let quoted: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
            msg.push_str(&format!("; did you mean {}?", suggest::or_list(&quoted)));
        }
        let kind = ErrorKind::UnknownName {
            name: name.to_string(),
            did_you_mean: close,
        };
        ScenarioError::at(self.file, self.text, *loc, kind, msg)
    }

    /// A warning about the value at `loc`.
    fn warn(&self, loc: &Location, msg: impl Into<String>) -> Warning {
        Warning::at(self.file, self.text, *loc, msg)
    }
}
