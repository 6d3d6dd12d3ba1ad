//! `latency:`: each model's time to first token and output speed (from the
//! catalogue, overridable), the network round trip and the noise.

use crate::engine::SimTime;
use crate::model::catalog::{self, ModelInfo, find_model};
use crate::model::{Latency, ModelSpec};
use crate::scenario::raw::RawLatency;
use crate::scenario::{Cx, ScenarioError};

/// The models the simulator knows, with their latency, and the rest of
/// `latency:`.
pub(in crate::scenario) struct Latencies {
    /// One per model used, in [`super::limits::Used`] order.
    pub models: Vec<ModelSpec>,
    /// Added to every attempt, rejected ones included.
    pub network_rtt: SimTime,
    /// Lognormal noise on each response's latency.
    pub noise_sigma: f64,
}

/// Round trip when the scenario does not say.
const DEFAULT_RTT: SimTime = SimTime(50 * 1_000_000);

pub(in crate::scenario) fn latency(
    cx: &Cx,
    raw: Option<&RawLatency>,
    models: &[&'static ModelInfo],
    pool_names: &[String],
) -> Result<Latencies, ScenarioError> {
    let mut out = Latencies {
        models: models
            .iter()
            .map(|m| ModelSpec {
                id: m.id.to_string(),
                pool: pool_names.iter().position(|p| p == m.pool).unwrap_or(0),
                prices: m.prices,
                itpm_counts_cache_reads: m.itpm_counts_cache_reads,
                latency: Latency {
                    ttft: SimTime::from_secs_f64(m.ttft_s),
                    output_tokens_per_s: m.output_tokens_per_s,
                },
                min_cacheable_tokens: m.min_cacheable_tokens,
                long_context: catalog::long_context_prices(m.id),
            })
            .collect(),
        network_rtt: DEFAULT_RTT,
        noise_sigma: 0.0,
    };
    let Some(l) = raw else {
        return Ok(out);
    };
    if let Some(r) = l.network_rtt {
        out.network_rtt = r.0;
    }
    if let Some(s) = &l.noise_sigma {
        if !(s.value.is_finite() && s.value >= 0.0) {
            return Err(cx.err(&s.referenced, "latency.noise_sigma must be >= 0"));
        }
        out.noise_sigma = s.value;
    }
    for (id, ml) in &l.models {
        let Some(spec) = find_model(id).and_then(|m| out.models.iter_mut().find(|s| s.id == m.id))
        else {
            let used: Vec<&str> = models.iter().map(|m| m.id).collect();
            return Err(cx.unknown(
                &ml.referenced,
                id,
                used.iter().copied(),
                format!("latency.models: `{id}` is not a model used by any stream"),
            ));
        };
        if let Some(t) = ml.value.ttft {
            spec.latency.ttft = t.0;
        }
        if let Some(v) = &ml.value.output_tokens_per_s {
            if !(v.value.is_finite() && v.value > 0.0) {
                return Err(cx.err(&v.referenced, "output_tokens_per_s must be > 0"));
            }
            spec.latency.output_tokens_per_s = v.value;
        }
    }
    Ok(out)
}
