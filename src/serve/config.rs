//! What a server needs, built from a scenario (its pools, limiter, latency,
//! overload and the output-length distribution of its streams) or from a
//! tier's published limits alone.

use std::time::Duration;

use crate::engine::SimTime;
use crate::model::catalog;
use crate::model::{PoolLimits, ProviderConfig};
use crate::scenario::{Scenario, ScenarioError};
use crate::workload::{TokenDist, TokenSampler, WorkloadError};

/// Output length drawn for a model no stream of the scenario uses (and for
/// every model under `--tier`): log-normal, median 200 tokens, sigma 0.6.
pub const DEFAULT_OUTPUT: TokenDist = TokenDist::LogNormal {
    median: 200.0,
    sigma: 0.6,
};

/// Largest body accepted by default, as Anthropic documents for the
/// Messages API (32 MB).
pub const DEFAULT_MAX_BODY: usize = 32 * 1024 * 1024;

/// Everything the server is built from.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// The provider model (pools, limiter, latency, overload), as `simulate`
    /// builds it.
    pub provider: ProviderConfig,
    /// Pool names, in the provider's order.
    pub pool_names: Vec<String>,
    /// Per model (provider order), how long responses are.
    pub outputs: Vec<TokenSampler>,
    /// Lognormal sigma of the noise on service time (0: none).
    pub latency_noise_sigma: f64,
    /// Master seed: output lengths, noise, 529s and ids derive from it.
    pub seed: u64,
    /// Random overload episodes are drawn up to this simulated time.
    pub horizon: SimTime,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Unix seconds of simulated time 0, for the RFC 3339 reset headers.
    pub epoch_unix_s: u64,
    /// Bodies above this many bytes get 413.
    pub max_body_bytes: usize,
    /// A body that stalls this long between chunks gets 408.
    pub body_timeout: Duration,
    /// Chance that an admitted streamed response breaks with a mid-stream
    /// `overloaded_error` event.
    pub stream_error_probability: f64,
    /// Fixes every response's output length (before `max_tokens`).
    pub output_tokens: Option<u64>,
    /// Keep every attempt until collected (for `--record`).
    pub keep_records: bool,
}

impl ServeConfig {
    /// A server for `scenario`: its provider, its seed, and for each model
    /// the output distribution of the first stream that uses it.
    pub fn from_scenario(scenario: &Scenario) -> Result<ServeConfig, WorkloadError> {
        let sim = &scenario.sim;
        let outputs = (0..sim.provider.models.len())
            .map(|m| {
                sim.streams
                    .iter()
                    .find(|s| s.model as usize == m)
                    .map_or(DEFAULT_OUTPUT, |s| s.output_tokens.clone())
                    .sampler()
            })
            .collect::<Result<_, _>>()?;
        Ok(ServeConfig {
            provider: sim.provider.clone(),
            pool_names: sim.provider.pools.iter().map(|p| p.0.clone()).collect(),
            outputs,
            latency_noise_sigma: sim.latency_noise_sigma,
            seed: sim.seed,
            horizon: sim.horizon.saturating_add(sim.drain),
            speed: 1.0,
            epoch_unix_s: 0,
            max_body_bytes: DEFAULT_MAX_BODY,
            body_timeout: Duration::from_secs(60),
            stream_error_probability: 0.0,
            output_tokens: None,
            keep_records: false,
        })
    }

    /// Limits of pool `i`.
    pub fn pool_limits(&self, i: usize) -> PoolLimits {
        self.provider.pools.get(i).map(|p| p.1).unwrap_or_default()
    }
}

/// A scenario that serves every model of `tier`'s published pools with the
/// catalogue's defaults (token bucket, one minute of burst, real-time OTPM,
/// the catalogue's latency), so `--tier` and `--scenario` share one path.
/// Its single stream only names the models; a server never runs it.
pub fn tier_scenario(tier: &str) -> Result<Scenario, ScenarioError> {
    let models: Vec<&str> = catalog::MODELS
        .iter()
        .filter(|m| catalog::tier_limits(tier, m.pool).is_some())
        .map(|m| m.id)
        .collect();
    // An unknown tier (or one that publishes nothing) still gets one
    // stream, so the scenario's own error, with its suggestions, names it.
    let models = if models.is_empty() {
        vec!["claude-sonnet-4-5"]
    } else {
        models
    };
    let mut yaml = format!("name: serve-{tier}\nseed: 1\nduration: 1h\ntier: {tier}\nstreams:\n");
    for (i, m) in models.iter().enumerate() {
        yaml.push_str(&format!(
            "  - {{name: s{i}, model: {m}, arrivals: {{poisson: {{rate_per_min: 1}}}}, \
             input_tokens: 100, output_tokens: {{lognormal: {{median: 200, sigma: 0.6}}}}, \
             max_tokens: 1000}}\n"
        ));
    }
    Scenario::from_yaml_str("--tier", &yaml)
}
