//! The second pass, one step per block of the scenario file. Each step
//! reads its raw block, checks it against what the earlier steps built,
//! and returns its part of the simulator's configuration or a located error.

mod asserts;
mod batch;
mod distributions;
mod latency;
mod limits;
mod overload;
mod router;
mod slo;
mod strategies;
mod streams;
mod workspaces;

use serde_saphyr::Spanned;

pub(super) use asserts::assertions;
pub(super) use batch::batch;
pub(super) use latency::latency;
pub(super) use limits::{acceleration, pool_limits, used_models};
pub(super) use overload::overload;
pub(super) use router::router;
pub use slo::{DEFAULT_ATTAINMENT, parse_rule};
pub(super) use slo::{slo, start, start_offset};
pub(super) use strategies::strategies;
pub(super) use streams::{StreamEnv, show, streams};
pub(super) use workspaces::workspaces;

use super::raw::{Dur, RawLimiter};
use super::{Cx, MAX_DURATION, ScenarioError};
use crate::engine::SimTime;
use crate::model::LimiterConfig;
use crate::model::catalog::{self, find_model};

/// `duration:`: how long arrivals run.
pub(super) fn horizon(cx: &Cx, d: &Spanned<Dur>) -> Result<SimTime, ScenarioError> {
    let horizon = d.value.0;
    if horizon == SimTime::ZERO || horizon > MAX_DURATION {
        return Err(cx.err(&d.referenced, "duration must be > 0 and at most 366 days"));
    }
    Ok(horizon)
}

/// `tier:`: the limits profile to start from (default `tier1`).
pub(super) fn tier(cx: &Cx, t: Option<&Spanned<String>>) -> Result<String, ScenarioError> {
    match t {
        Some(t) if catalog::profile(&t.value).is_some() => Ok(t.value.clone()),
        Some(t) => {
            let names = catalog::profile_names();
            Err(cx.unknown(
                &t.referenced,
                &t.value,
                names.iter().copied(),
                format!(
                    "unknown tier `{}`, expected one of {}",
                    t.value,
                    names.join(", ")
                ),
            ))
        }
        None => Ok("tier1".to_string()),
    }
}

/// `limiter:`: the server's algorithm, bucket size and OTPM rule.
pub(super) fn limiter(cx: &Cx, l: Option<&RawLimiter>) -> Result<LimiterConfig, ScenarioError> {
    let mut limiter = LimiterConfig::default();
    let Some(l) = l else {
        return Ok(limiter);
    };
    if let Some(a) = l.algorithm {
        limiter.algorithm = a;
    }
    if let Some(b) = &l.burst {
        if b.value.0 == SimTime::ZERO {
            return Err(cx.err(&b.referenced, "limiter.burst must be > 0"));
        }
        limiter.burst = b.value.0;
    }
    if let Some(o) = l.otpm_accounting {
        limiter.otpm_accounting = o;
    }
    Ok(limiter)
}

/// The catalogue entry for a model named in the scenario, or a located
/// error listing the known ids (`what` prefixes the message, e.g. `router: `).
fn known_model(
    cx: &Cx,
    name: &Spanned<String>,
    what: &str,
) -> Result<&'static catalog::ModelInfo, ScenarioError> {
    find_model(&name.value).ok_or_else(|| {
        let ids = catalog::model_ids();
        cx.unknown(
            &name.referenced,
            &name.value,
            ids.iter().copied(),
            format!(
                "{what}unknown model `{}`, expected one of {}",
                name.value,
                ids.join(", ")
            ),
        )
    })
}
