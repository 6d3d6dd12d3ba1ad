//! `batch:`: the Message Batches API's limits (the profile's, overridable)
//! and turnaround.

use serde_saphyr::Spanned;

use crate::engine::SimTime;
use crate::model::BatchConfig;
use crate::model::catalog;
use crate::scenario::raw::RawBatch;
use crate::scenario::{Cx, ScenarioError};

pub(in crate::scenario) fn batch(
    cx: &Cx,
    tier: &str,
    raw: Option<&Spanned<RawBatch>>,
) -> Result<Option<BatchConfig>, ScenarioError> {
    let published = catalog::batch_limits(tier);
    let Some(raw) = raw else {
        return Ok(published.map(|limits| BatchConfig {
            limits,
            ..DEFAULT_BATCH
        }));
    };
    let b = &raw.value;
    let base = published.unwrap_or(catalog::BatchLimits {
        rpm: 0,
        max_queued_requests: 0,
        max_batch_requests: catalog::BATCH_MAX_REQUESTS,
    });
    let limits = catalog::BatchLimits {
        rpm: b.rpm.unwrap_or(base.rpm),
        max_queued_requests: b.max_queued_requests.unwrap_or(base.max_queued_requests),
        max_batch_requests: b.max_batch_requests.unwrap_or(base.max_batch_requests),
    };
    if limits.rpm == 0 || limits.max_queued_requests == 0 || limits.max_batch_requests == 0 {
        return Err(cx.err(
            &raw.referenced,
            format!("batch: profile `{tier}` publishes no Batch API limits; set rpm, max_queued_requests and max_batch_requests (all > 0)"),
        ));
    }
    let mut c = BatchConfig {
        limits,
        ..DEFAULT_BATCH
    };
    if let Some(t) = &b.turnaround {
        let sigma = t.sigma.unwrap_or(DEFAULT_BATCH.turnaround_sigma);
        if t.median.0 == SimTime::ZERO || !(sigma.is_finite() && sigma >= 0.0) {
            return Err(cx.err(
                &raw.referenced,
                "batch.turnaround needs median > 0 and sigma >= 0",
            ));
        }
        c.turnaround_median = t.median.0;
        c.turnaround_sigma = sigma;
    }
    if let Some(p) = b.per_request {
        c.per_request = p.0;
    }
    if let Some(h) = &b.cache_hit_rate {
        if !(0.0..=1.0).contains(&h.value) {
            return Err(cx.err(&h.referenced, "batch.cache_hit_rate must be in [0, 1]"));
        }
        c.cache_hit_rate = h.value;
    }
    Ok(Some(c))
}

/// Batch turnaround when the scenario does not say: a median of 30 minutes
/// with sigma 0.7 puts ~84 % of batches under an hour, matching "most batches
/// complete within 1 hour"; batches expire after 24 h.
const DEFAULT_BATCH: BatchConfig = BatchConfig {
    limits: catalog::BatchLimits {
        rpm: 0,
        max_queued_requests: 0,
        max_batch_requests: 0,
    },
    turnaround_median: SimTime(30 * SimTime::NANOS_PER_MIN),
    turnaround_sigma: 0.7,
    per_request: SimTime::ZERO,
    expiry: SimTime(24 * 3600 * SimTime::NANOS_PER_SEC),
    cache_hit_rate: 0.3,
};
