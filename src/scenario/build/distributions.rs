//! Arrival processes, token-size distributions and prompt caching: the
//! per-stream blocks whose numbers need a range check.

use serde_saphyr::{Location, Spanned};

use crate::engine::SimTime;
use crate::model::CacheTtl;
use crate::model::catalog::ModelInfo;
use crate::scenario::raw::{RawArrivals, RawDist, RawPopularity, RawPromptCache, RawTokens};
use crate::scenario::{Cx, ScenarioError};
use crate::workload::{ArrivalProcess, MAX_TOKENS, Popularity, PromptCache, TokenDist};

/// Highest arrival rate per minute a stream may ask for (far above any tier).
const MAX_RATE_PER_MIN: f64 = 1e6;

pub(super) fn check_probability(
    cx: &Cx,
    p: f64,
    loc: &Location,
    what: &str,
) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(cx.err(loc, format!("{what} must be between 0 and 1, got {p}")))
    }
}

fn check_rate(cx: &Cx, v: &Spanned<f64>, what: &str) -> Result<(), ScenarioError> {
    let (v, loc) = (v.value, &v.referenced);
    if v.is_finite() && (0.0..=MAX_RATE_PER_MIN).contains(&v) {
        Ok(())
    } else {
        Err(cx.err(
            loc,
            format!("{what} must be between 0 and {MAX_RATE_PER_MIN} per minute, got {v}"),
        ))
    }
}

pub(super) fn arrivals(cx: &Cx, a: &Spanned<RawArrivals>) -> Result<ArrivalProcess, ScenarioError> {
    let loc = &a.referenced;
    Ok(match &a.value {
        RawArrivals::Poisson { rate_per_min } => {
            check_rate(cx, rate_per_min, "poisson.rate_per_min")?;
            ArrivalProcess::Poisson {
                rate_per_min: rate_per_min.value,
            }
        }
        RawArrivals::Constant { rate_per_min } => {
            check_rate(cx, rate_per_min, "constant.rate_per_min")?;
            ArrivalProcess::Constant {
                rate_per_min: rate_per_min.value,
            }
        }
        RawArrivals::Bursts {
            base_per_min,
            burst_per_min,
            burst_length,
            period,
            offset,
        } => {
            check_rate(cx, base_per_min, "bursts.base_per_min")?;
            check_rate(cx, burst_per_min, "bursts.burst_per_min")?;
            if period.value.0 == SimTime::ZERO || burst_length.0 > period.value.0 {
                return Err(cx.err(
                    &period.referenced,
                    "bursts: period must be > 0 and at least burst_length",
                ));
            }
            ArrivalProcess::Bursts {
                base_per_min: base_per_min.value,
                burst_per_min: burst_per_min.value,
                burst_length: burst_length.0,
                period: period.value.0,
                offset: offset.map_or(SimTime::ZERO, |d| d.0),
            }
        }
        RawArrivals::Diurnal {
            rate_per_min,
            hourly,
            peak_hour,
            peak_to_trough,
        } => {
            check_rate(cx, rate_per_min, "diurnal.rate_per_min")?;
            let profile = match (hourly, peak_hour, peak_to_trough) {
                (Some(h), None, None) => {
                    let hloc = &h.referenced;
                    let arr: [f64; 24] = h.value.as_slice().try_into().map_err(|_| {
                        cx.err(
                            hloc,
                            format!("diurnal.hourly needs 24 multipliers, got {}", h.value.len()),
                        )
                    })?;
                    if arr.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
                        return Err(cx.err(hloc, "diurnal.hourly multipliers must be >= 0"));
                    }
                    arr
                }
                (None, Some(p), Some(r)) => {
                    if !((0.0..24.0).contains(p) && r.is_finite() && *r >= 1.0) {
                        return Err(cx.err(
                            loc,
                            "diurnal: peak_hour must be in 0..24 and peak_to_trough >= 1",
                        ));
                    }
                    ArrivalProcess::diurnal_profile(*p, *r)
                }
                _ => {
                    return Err(cx.err(
                        loc,
                        "diurnal: give either `hourly` (24 multipliers) or both `peak_hour` and `peak_to_trough`",
                    ));
                }
            };
            ArrivalProcess::Diurnal {
                rate_per_min: rate_per_min.value,
                hourly: profile,
            }
        }
        RawArrivals::None => ArrivalProcess::None,
    })
}

pub(super) fn prompt_cache(cx: &Cx, c: &RawPromptCache) -> Result<PromptCache, ScenarioError> {
    let hit_rate = match &c.hit_rate {
        Some(h) => {
            check_probability(cx, h.value, &h.referenced, "prompt_cache.hit_rate")?;
            Some(h.value)
        }
        None => None,
    };
    if c.prefix_tokens.value > MAX_TOKENS {
        return Err(cx.err(
            &c.prefix_tokens.referenced,
            format!("prompt_cache.prefix_tokens must be at most {MAX_TOKENS}"),
        ));
    }
    let prefixes = match &c.prefixes {
        Some(p) if p.value == 0 => {
            return Err(cx.err(&p.referenced, "prompt_cache.prefixes must be >= 1"));
        }
        Some(p) => p.value,
        None => 1,
    };
    let popularity = match &c.popularity {
        None
        | Some(Spanned {
            value: RawPopularity::Uniform,
            ..
        }) => Popularity::Uniform,
        Some(Spanned {
            value: RawPopularity::Zipf(e),
            referenced,
            ..
        }) => {
            if !(e.is_finite() && *e > 0.0) {
                return Err(cx.err(
                    referenced,
                    "prompt_cache.popularity.zipf exponent must be > 0",
                ));
            }
            Popularity::Zipf(*e)
        }
    };
    let ttl = match &c.ttl {
        None => CacheTtl::FiveMinutes,
        Some(t) if t.value.0 == CacheTtl::FiveMinutes.duration() => CacheTtl::FiveMinutes,
        Some(t) if t.value.0 == CacheTtl::OneHour.duration() => CacheTtl::OneHour,
        Some(t) => {
            return Err(cx.err(
                &t.referenced,
                "prompt_cache.ttl must be 5m or 1h (the two TTLs Anthropic offers)",
            ));
        }
    };
    Ok(PromptCache {
        prefix_tokens: c.prefix_tokens.value,
        prefixes,
        popularity,
        ttl,
        hit_rate,
    })
}

pub(super) fn tokens(cx: &Cx, t: &Spanned<RawTokens>) -> Result<TokenDist, ScenarioError> {
    let d = match &t.value {
        RawTokens::Constant(n) | RawTokens::Dist(RawDist::Constant(n)) => TokenDist::Constant(*n),
        RawTokens::Dist(RawDist::Uniform { min, max }) => TokenDist::Uniform {
            min: *min,
            max: *max,
        },
        RawTokens::Dist(RawDist::Lognormal { median, sigma }) => TokenDist::LogNormal {
            median: *median,
            sigma: *sigma,
        },
        RawTokens::Dist(RawDist::Empirical { values, weights }) => TokenDist::Empirical {
            values: values.clone(),
            weights: weights.clone(),
        },
        RawTokens::Dist(RawDist::Exponential { mean }) => TokenDist::Exponential { mean: *mean },
    };
    d.sampler()
        .map_err(|e| cx.err(&t.referenced, e.to_string()))?;
    Ok(d)
}

/// `max_tokens:`: at least 1 (the Messages API rejects 0) and at most the
/// model's documented maximum output, wherever the distribution's range is
/// known (a constant, `uniform`, `empirical`; `lognormal` and `exponential`
/// have no upper bound to check).
pub(super) fn max_tokens(
    cx: &Cx,
    t: &Spanned<RawTokens>,
    model: &ModelInfo,
) -> Result<TokenDist, ScenarioError> {
    let d = tokens(cx, t)?;
    let (lo, hi) = range(&d);
    if lo == Some(0) {
        return Err(cx.err(
            &t.referenced,
            "max_tokens must be at least 1 (the Messages API rejects 0)",
        ));
    }
    if let Some(hi) = hi
        && hi > model.max_output_tokens
    {
        return Err(cx.err(
            &t.referenced,
            format!(
                "max_tokens {hi} is more than `{}` can generate: its maximum output is {} \
                 tokens (Anthropic's models overview)",
                model.id, model.max_output_tokens,
            ),
        ));
    }
    Ok(d)
}

/// The smallest and largest values a distribution can draw, where bounded.
pub(super) fn range(d: &TokenDist) -> (Option<u64>, Option<u64>) {
    match d {
        TokenDist::Constant(n) => (Some(*n), Some(*n)),
        TokenDist::Uniform { min, max } => (Some(*min), Some(*max)),
        TokenDist::Empirical { values, .. } => {
            (values.iter().copied().min(), values.iter().copied().max())
        }
        _ => (None, None),
    }
}
