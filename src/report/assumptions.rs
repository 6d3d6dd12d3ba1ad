//! The rules a run depends on beyond the limits, stated in every report:
//! the bucket size ratesim had to choose and the documented rules it
//! follows.

use crate::model::OtpmAccounting;
use crate::scenario::Scenario;

/// The bucket capacity rule, per dimension, with its floors.
pub(super) fn burst_assumption(l: &crate::model::LimiterConfig) -> String {
    let b = l.burst;
    let sizes = if b.is_uniform() {
        format!("{}s at the limit in every dimension", b.rpm.as_secs_f64())
    } else {
        format!(
            "rpm {}s, itpm {}s, otpm {}s, tpm {}s at the limit",
            b.rpm.as_secs_f64(),
            b.itpm.as_secs_f64(),
            b.otpm.as_secs_f64(),
            b.tpm.as_secs_f64()
        )
    };
    format!(
        "bucket capacity = {sizes} (Anthropic does not publish it; set limiter.burst, per dimension if \
         needed). 60 s is the default because a real 429 showed the input-token reset about 61 s ahead, \
         a full refill of one minute's worth. Floors: RPM holds at least 1 request; a token dimension \
         holds at least the scenario's largest single request ({} ITPM, {} OTPM tokens; lognormal and \
         exponential sizes at their 99.9th percentile), never more than one minute's worth",
        l.floor.itpm, l.floor.otpm
    )
}

/// The documented-or-chosen rules a run depends on beyond the limits.
pub(super) fn rule_assumptions(scenario: &Scenario) -> Vec<String> {
    use crate::model::{AdmitWhen, Oversized, SpendLimitKind};
    let p = &scenario.sim.provider;
    let l = &p.limiter;
    let mut out = Vec::new();
    out.push(match l.oversized {
        Oversized::RateLimited => "a request larger than a limit's whole capacity gets a 429 \
            rate_limit_error naming that limit (as seen in public bug reports: \"This request would \
            exceed the rate limit for your organization\"), with retry-after = time to a full bucket; \
            retrying never helps and the failure is counted as too_large (limiter.oversized: too_large \
            answers it once, non-retryable)"
            .to_string(),
        Oversized::TooLarge => "a request larger than a limit's whole capacity fails at once as \
            too_large, without retries (limiter.oversized: too_large; the real API answers a 429)"
            .to_string(),
    });
    if l.otpm_accounting == OtpmAccounting::Realtime {
        out.push(match l.admit_when {
            AdmitWhen::Positive => "OTPM (real time): a request is admitted while the output bucket \
                is above zero and its output may drive it far below zero, throttling later requests \
                (the docs say only that output counts as it is generated; limiter.admit_when: \
                estimated_fits admits only when the bucket, less the estimates held for requests in \
                flight, holds the request's max_tokens)"
                .to_string(),
            AdmitWhen::EstimatedFits => "OTPM (real time): a request is admitted only when the output \
                bucket, less the estimates held for requests in flight (settled to their actual output \
                when they finish), holds its estimated output, taken as its max_tokens \
                (limiter.admit_when: estimated_fits; the default `positive` admits while the bucket is \
                above zero)"
                .to_string(),
        });
    }
    match &p.spend {
        Some(s) => out.push(format!(
            "monthly spend limit ${} enforced per calendar month (UTC), simulated time 0 = {}; over it {} \
             until 00:00 UTC on the 1st of the next month ({})",
            crate::text::num::round(s.monthly_usd, 2),
            crate::model::spend::format_date(s.start_unix_s),
            match s.kind {
                SpendLimitKind::Tier => "429 enforced_spend_limit_reached without retry-after",
                SpendLimitKind::SelfSet => "a self-set limit: 400 invalid_request_error",
            },
            crate::model::spend::SPEND_SOURCE
        )),
        None => out.push("no monthly spend limit enforced".to_string()),
    }
    let caching = scenario
        .sim
        .streams
        .iter()
        .any(|s| s.prompt_cache.is_some());
    if caching {
        out.push(format!(
            "prompt caching: prefixes below the model's minimum cacheable length are not cached \
             (Sonnet 4.6 2,048 and Opus 4.7 4,096 tokens where copies disagree; {}); a fixed hit_rate \
             decides only hit or miss, the minimum length and the TTL's write price still apply",
            crate::model::catalog::CACHE_SOURCE
        ));
    }
    if p.models.iter().any(|m| m.long_context.is_some()) {
        let pools = p.long_context_pools.iter().flatten().count();
        out.push(format!(
            "long context: a Sonnet 4/4.5 request over {} input tokens (uncached + cache reads + writes) \
             is billed at $6 / $22.50 per MTok for all its tokens{}; {}",
            crate::model::catalog::LONG_CONTEXT_THRESHOLD,
            if pools > 0 {
                " and counted against the tier's dedicated long-context limits (organisation-wide, no \
                 RPM published)"
            } else {
                "; this tier publishes no long-context limits, so it shares the ordinary pool"
            },
            crate::model::catalog::LONG_CONTEXT_SOURCE
        ));
    }
    let batched = scenario.sim.streams.iter().any(|s| s.batch)
        || scenario
            .strategies
            .iter()
            .any(|s| s.batch_offload.is_some());
    if let Some(b) = p.batch.as_ref().filter(|_| batched) {
        out.push(format!(
            "Batch API: a batch's requests are processed at an even pace over its turnaround; those not \
             reached within 24 h expire one by one, unbilled; a batch holds at most {} requests and \
             256,000,000 bytes (~{} bytes a token), larger ones are split by the client, never cut; a \
             cacheable prefix is read from the cache for {} % of batch requests (best effort: the docs \
             say typically 30 %-98 %; batch.cache_hit_rate), written otherwise, at half price ({})",
            b.limits.max_batch_requests,
            crate::model::batch::BYTES_PER_TOKEN,
            crate::text::num::round(b.cache_hit_rate * 100.0, 1),
            crate::model::catalog::BATCH_SOURCE
        ));
    }
    if p.overload.mid_stream > 0.0 {
        out.push(format!(
            "overload.mid_stream: {} of admitted attempts end in an SSE overloaded_error after the 200 \
             began, at a uniform point of generation; tokens generated so far count toward OTPM and are \
             billed; the SDKs do not retry them",
            p.overload.mid_stream
        ));
    }
    out
}
