//! The report: what a run measured, as serde data. [`crate::export`]
//! renders it.

pub mod catalog;
pub mod json;
pub mod provenance;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics::{ClassMetrics, RunMetrics, Tokens};
use crate::model::OtpmAccounting;
use crate::model::catalog::Prices;
use crate::scenario::Scenario;
use crate::strategy::StrategySpec;
use crate::text::num::round;

pub use provenance::Provenance;

/// Version of the JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// A full report: the scenario's key settings and one result per strategy.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// JSON layout version.
    pub schema_version: u32,
    /// The ratesim version and catalogue date that made it.
    pub ratesim: Provenance,
    /// Scenario name.
    pub scenario: String,
    /// Master seed used.
    pub seed: u64,
    /// How limits were enforced.
    pub limiter: LimiterReport,
    /// Tier the limits started from.
    pub tier: String,
    /// Simulated arrival window, seconds.
    pub duration_s: f64,
    /// Extra time allowed for in-flight work, seconds.
    pub drain_s: f64,
    /// Limits per pool.
    pub pools: Vec<PoolReport>,
    /// Unpublished numbers the results depend on.
    pub assumptions: Vec<String>,
    /// The service level `slo_attainment` judges by; omitted without `slo:`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo: Option<SloReport>,
    /// One entry per strategy, in scenario order.
    pub results: Vec<StrategyResult>,
}

/// Limiter settings.
#[derive(Clone, Debug, Serialize)]
pub struct LimiterReport {
    /// Algorithm name.
    pub algorithm: &'static str,
    /// Bucket capacity as seconds at the limit (of RPM when the dimensions
    /// differ; see `burst_s_by_dimension`).
    pub burst_s: f64,
    /// Per-dimension capacities, when they differ (omitted otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub burst_s_by_dimension: Option<BTreeMap<&'static str, f64>>,
    /// OTPM rule.
    pub otpm_accounting: &'static str,
}

/// One pool's limits.
#[derive(Clone, Debug, Serialize)]
pub struct PoolReport {
    /// Pool name.
    pub name: String,
    /// Models in the scenario that use it.
    pub models: Vec<String>,
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Input tokens per minute.
    pub itpm: Option<u64>,
    /// Output tokens per minute.
    pub otpm: Option<u64>,
    /// Input plus output tokens per minute (profiles that quote "TPM").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tpm: Option<u64>,
    /// Concurrent requests.
    pub max_concurrent: Option<u64>,
}

/// 429 counts.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct RateLimited {
    /// All 429s.
    pub total: u64,
    /// Requests per minute.
    pub rpm: u64,
    /// Input tokens per minute.
    pub itpm: u64,
    /// Output tokens per minute.
    pub otpm: u64,
    /// Combined input + output tokens per minute.
    pub tpm: u64,
    /// Concurrency.
    pub concurrency: u64,
    /// Acceleration limit (sharp rises in usage).
    pub acceleration: u64,
    /// The monthly spend limit (`enforced_spend_limit_reached`); omitted
    /// from JSON when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub spend: u64,
    /// Of `total`, 429s for a request larger than the limit's whole
    /// capacity (its wait never helps); omitted from JSON when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub oversized: u64,
    /// How many of `total` a workspace cap caused (the rest hit the
    /// organisation's limits).
    pub by_workspace_cap: u64,
}

/// Failure counts by reason.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Failures {
    /// The retry policy gave up.
    pub gave_up: u64,
    /// Deadline exceeded.
    pub deadline: u64,
    /// Larger than a limit's capacity: can never succeed.
    pub too_large: u64,
    /// Still pending when the drain ended.
    pub unfinished: u64,
    /// In a batch that expired after 24 h (not billed).
    pub batch_expired: u64,
    /// Refused by the monthly spend limit; omitted from JSON when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub spend_limit: u64,
    /// Dropped unsent by the queue's `shed` rule (too old to be useful);
    /// omitted from JSON when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub shed: u64,
}

/// Latency percentiles in milliseconds (successes only); each is `None`
/// (`null` in JSON) when nothing succeeded, so an empty class never reads
/// as 0 ms.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LatencyMs {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// 99.9th percentile.
    pub p999: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

/// Billed tokens.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct TokenReport {
    /// Uncached input.
    pub input: u64,
    /// Output.
    pub output: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Cache writes (all TTLs).
    pub cache_write: u64,
    /// Cache writes with the 1-hour TTL (part of `cache_write`).
    pub cache_write_1h: u64,
}

/// The scenario's `slo:` in words.
#[derive(Clone, Debug, Serialize)]
pub struct SloReport {
    /// Share of judged requests that must meet their rule.
    pub attainment: f64,
    /// Each class's rule in words ("succeeds within 30 s"; "not judged").
    pub classes: BTreeMap<String, String>,
}

impl SloReport {
    /// The scenario's SLO, if it sets one.
    pub fn of(scenario: &Scenario) -> Option<SloReport> {
        let slo = scenario.sim.slo.as_ref()?;
        Some(SloReport::from_rules(&scenario.sim.classes, slo))
    }

    /// `slo`'s rules in words for the classes named `classes` (by index),
    /// e.g. a plan's SLO after its command-line overrides.
    pub fn from_rules(classes: &[String], slo: &crate::metrics::Slo) -> SloReport {
        SloReport {
            attainment: slo.attainment,
            classes: classes
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let rule = slo
                        .rule(i)
                        .map_or_else(|| "not judged".to_string(), |r| r.describe());
                    (c.clone(), rule)
                })
                .collect(),
        }
    }
}

/// Counts, latency and cost for one class or a whole strategy.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Logical requests.
    pub requests: u64,
    /// Succeeded within deadline.
    pub succeeded: u64,
    /// Of `succeeded`, responses cut short at `max_tokens` (`stop_reason:
    /// "max_tokens"`); omitted from JSON when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub truncated: u64,
    /// Failed.
    pub failed: u64,
    /// Share of the logical requests held to the scenario's `slo:` that met
    /// their class's rule (a failure never does): the latency figure a
    /// client cannot improve by giving up early. Omitted without an `slo:`;
    /// null when no judged request arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slo_attainment: Option<Option<f64>>,
    /// Failures by reason.
    pub failures: Failures,
    /// Attempts sent (first tries plus retries).
    pub attempts: u64,
    /// 429s by dimension.
    pub rate_limited: RateLimited,
    /// 529s.
    pub overloaded: u64,
    /// Of `overloaded`, errors that arrived mid-stream after a 200 began
    /// (partial output billed, not retried); omitted from JSON when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub overloaded_mid_stream: u64,
    /// Attempts the client rejected itself (adaptive throttling), never sent;
    /// omitted from JSON when zero.
    #[serde(skip_serializing_if = "is_zero")]
    pub throttled_locally: u64,
    /// Latency of successes.
    pub latency_ms: LatencyMs,
    /// Mean time an attempt waited in the client's queue before it was sent
    /// (behind a concurrency cap, pacing or other requests; backoff excluded),
    /// milliseconds; null when no attempt was made (nothing to average).
    pub queue_wait_ms: Option<f64>,
    /// Successes served by a fallback model instead of the primary.
    pub routed_away: u64,
    /// Successes per simulated minute of the arrival window.
    pub goodput_per_min: f64,
    /// List-price cost of every billed response.
    pub cost_usd: f64,
    /// Billed tokens.
    pub tokens: TokenReport,
}

/// One strategy's result.
#[derive(Clone, Debug, Serialize)]
pub struct StrategyResult {
    /// Strategy name.
    pub strategy: String,
    /// Its layers, in words.
    pub layers: String,
    /// Totals over every class.
    #[serde(flatten)]
    pub total: Outcome,
    /// The same per priority class.
    pub by_class: BTreeMap<String, Outcome>,
    /// Traffic and cost per model.
    pub by_model: Vec<ModelReport>,
    /// Prompt-cache effect.
    pub cache: CacheReport,
    /// Message Batches API use.
    pub batch: BatchReport,
    /// Events the engine processed (deterministic).
    pub events: u64,
    /// Largest client queue.
    pub peak_queue: u64,
    /// Most requests in flight at once.
    pub peak_in_flight: u64,
    /// When the monthly spend limit refused attempts; omitted from JSON
    /// when it never did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spend_limit: Option<SpendLimitReport>,
    /// Per replica of a fleet (`clients.replicas` > 1); omitted otherwise.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub by_replica: Vec<ReplicaReport>,
    /// How unevenly the replicas fared; omitted for a single client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica_spread: Option<ReplicaSpread>,
}

/// The monthly spend limit binding during a run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct SpendLimitReport {
    /// The cap, USD per calendar month.
    pub monthly_limit_usd: f64,
    /// `tier` (429 `enforced_spend_limit_reached`) or `self_set` (400).
    pub kind: &'static str,
    /// Simulated seconds at which it first refused an attempt.
    pub first_refused_at_s: f64,
    /// Attempts it refused.
    pub refused_attempts: u64,
}

/// What one replica of a fleet saw.
#[derive(Clone, Debug, Serialize)]
pub struct ReplicaReport {
    /// 0-based replica index.
    pub replica: u32,
    /// Logical requests the balancer gave it.
    pub requests: u64,
    /// Of those, succeeded within their deadline.
    pub succeeded: u64,
    /// Attempts it sent.
    pub attempts: u64,
    /// 429s it received.
    pub rate_limited: u64,
    /// 99th percentile latency of its successes, milliseconds (success
    /// only; null when nothing succeeded).
    pub p99_ms: Option<f64>,
}

/// Lowest and highest values over the replicas: a wide spread means some
/// pods starve or take the 429s while others coast.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ReplicaSpread {
    /// Fewest requests a replica received.
    pub requests_min: u64,
    /// Most requests a replica received.
    pub requests_max: u64,
    /// Fewest 429s a replica received.
    pub rate_limited_min: u64,
    /// Most 429s a replica received.
    pub rate_limited_max: u64,
    /// Lowest per-replica p99 (successes), milliseconds.
    pub p99_ms_min: Option<f64>,
    /// Highest per-replica p99 (successes), milliseconds.
    pub p99_ms_max: Option<f64>,
}

fn replica_reports(m: &RunMetrics) -> (Vec<ReplicaReport>, Option<ReplicaSpread>) {
    let rows: Vec<ReplicaReport> = m
        .by_replica
        .iter()
        .enumerate()
        .map(|(i, r)| ReplicaReport {
            replica: i as u32,
            requests: r.requests,
            succeeded: r.succeeded,
            attempts: r.attempts,
            rate_limited: r.rate_limited,
            p99_ms: (!r.latency_us.is_empty())
                .then(|| round(r.latency_us.value_at_quantile(0.99) as f64 / 1e3, 3)),
        })
        .collect();
    let fold = |f: fn(&ReplicaReport) -> u64| {
        let it = rows.iter().map(f);
        (it.clone().min().unwrap_or(0), it.max().unwrap_or(0))
    };
    let spread = (!rows.is_empty()).then(|| {
        let (requests_min, requests_max) = fold(|r| r.requests);
        let (rate_limited_min, rate_limited_max) = fold(|r| r.rate_limited);
        let p99s = rows.iter().filter_map(|r| r.p99_ms);
        ReplicaSpread {
            requests_min,
            requests_max,
            rate_limited_min,
            rate_limited_max,
            p99_ms_min: p99s.clone().reduce(f64::min),
            p99_ms_max: p99s.reduce(f64::max),
        }
    });
    (rows, spread)
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// `slo_met` ÷ `judged` (the requests of classes the SLO judges); `None`
/// without an SLO, `Some(None)` when nothing judged arrived.
fn attainment(slo_met: u64, judged: Option<u64>) -> Option<Option<f64>> {
    judged.map(|n| (n > 0).then(|| round(slo_met as f64 / n as f64, 6)))
}

fn outcome(scenario: &Scenario, m: &ClassMetrics, judged: Option<u64>) -> Outcome {
    let h = &m.latency_us;
    let q = |p: f64| (!h.is_empty()).then(|| round(h.value_at_quantile(p) as f64 / 1000.0, 3));
    let mut tokens = Tokens::default();
    let mut cost = 0.0;
    for (i, t) in m.tokens_by_model.iter().enumerate() {
        tokens.add(t);
        cost += messages_cost(scenario, m, i);
    }
    for (i, t) in m.batch_tokens_by_model.iter().enumerate() {
        tokens.add(t);
        cost += cost_usd(t, &scenario.sim.provider.models[i].prices.batch());
    }
    let minutes = scenario.sim.horizon.as_secs_f64() / 60.0;
    let [rpm, itpm, otpm, tpm, concurrency, acceleration, spend] = m.rate_limited;
    let [
        gave_up,
        deadline,
        too_large,
        unfinished,
        batch_expired,
        spend_limit,
        shed,
    ] = m.failed;
    Outcome {
        requests: m.requests,
        succeeded: m.succeeded,
        truncated: m.truncated,
        failed: m.failed_total(),
        slo_attainment: attainment(m.slo_met, judged),
        failures: Failures {
            gave_up,
            deadline,
            too_large,
            unfinished,
            batch_expired,
            spend_limit,
            shed,
        },
        attempts: m.attempts,
        rate_limited: RateLimited {
            total: m.rate_limited.iter().sum(),
            rpm,
            itpm,
            otpm,
            tpm,
            concurrency,
            acceleration,
            spend,
            oversized: m.oversized,
            by_workspace_cap: m.workspace_limited,
        },
        overloaded: m.overloaded,
        overloaded_mid_stream: m.overloaded_mid_stream,
        throttled_locally: m.throttled_locally,
        latency_ms: LatencyMs {
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            p999: q(0.999),
            max: (!h.is_empty()).then(|| round(h.max() as f64 / 1000.0, 3)),
        },
        queue_wait_ms: (m.queue_waits > 0)
            .then(|| round(m.mean_queue_wait().as_nanos() as f64 / 1e6, 3)),
        routed_away: m.routed_away,
        goodput_per_min: round(m.succeeded as f64 / minutes, 3),
        cost_usd: round(cost, 6),
        tokens: TokenReport {
            input: tokens.input,
            output: tokens.output,
            cache_read: tokens.cache_read,
            cache_write: tokens.cache_write,
            cache_write_1h: tokens.cache_write_1h,
        },
    }
}

fn spend_limit_report(scenario: &Scenario, m: &RunMetrics) -> Option<SpendLimitReport> {
    let limit = scenario.sim.provider.spend?;
    let first = m.spend_limit_first_hit?;
    Some(SpendLimitReport {
        monthly_limit_usd: limit.monthly_usd,
        kind: match limit.kind {
            crate::model::SpendLimitKind::Tier => "tier",
            crate::model::SpendLimitKind::SelfSet => "self_set",
        },
        first_refused_at_s: first.as_secs_f64(),
        refused_attempts: m.spend_limited_attempts,
    })
}

/// The bucket capacity rule, per dimension, with its floors.
fn burst_assumption(l: &crate::model::LimiterConfig) -> String {
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
fn rule_assumptions(scenario: &Scenario) -> Vec<String> {
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

/// Messages API cost at model `i`: list prices, except long-context
/// requests at their own prices (cost is linear in the prices, so the
/// long-context part is re-priced: + at its prices − at list prices).
fn messages_cost(scenario: &Scenario, m: &ClassMetrics, i: usize) -> f64 {
    let spec = &scenario.sim.provider.models[i];
    let mut cost = cost_usd(&m.tokens_by_model[i], &spec.prices);
    if let (Some(lc), Some(t)) = (&spec.long_context, m.long_context_tokens_by_model.get(i))
        && *t != Tokens::default()
    {
        cost += cost_usd(t, lc) - cost_usd(t, &spec.prices);
    }
    cost
}

/// List-price cost of `t` in USD.
pub fn cost_usd(t: &Tokens, p: &Prices) -> f64 {
    let write_5m = t.cache_write - t.cache_write_1h;
    (t.input as f64 * p.input
        + t.output as f64 * p.output
        + t.cache_read as f64 * p.cache_read
        + write_5m as f64 * p.cache_write_5m
        + t.cache_write_1h as f64 * p.cache_write_1h)
        / 1e6
}

/// What prompt caching did for one strategy.
#[derive(Clone, Debug, Serialize)]
pub struct CacheReport {
    /// Billed responses that read their prefix from the cache.
    pub hits: u64,
    /// Billed responses that wrote it.
    pub misses: u64,
    /// hits / (hits + misses); 0 when nothing was cacheable.
    pub hit_rate: f64,
    /// Tokens read from the cache.
    pub read_tokens: u64,
    /// Tokens written to the cache.
    pub write_tokens: u64,
    /// Cache-read tokens that did not count toward ITPM.
    pub itpm_relief_tokens: u64,
    /// Cost saved against sending the same prefixes uncached (negative when
    /// writes cost more than reads saved).
    pub cost_saved_usd: f64,
}

fn cache_report(scenario: &Scenario, m: &ClassMetrics) -> CacheReport {
    let (mut read, mut write, mut relief, mut saved) = (0, 0, 0, 0.0);
    for (i, t) in m.tokens_by_model.iter().enumerate() {
        let spec = &scenario.sim.provider.models[i];
        let p = &spec.prices;
        read += t.cache_read;
        write += t.cache_write;
        if !spec.itpm_counts_cache_reads {
            relief += t.cache_read;
        }
        let write_5m = t.cache_write - t.cache_write_1h;
        saved += (t.cache_read as f64 * (p.input - p.cache_read)
            - write_5m as f64 * (p.cache_write_5m - p.input)
            - t.cache_write_1h as f64 * (p.cache_write_1h - p.input))
            / 1e6;
    }
    let looked = m.cache_hits + m.cache_misses;
    CacheReport {
        hits: m.cache_hits,
        misses: m.cache_misses,
        hit_rate: if looked == 0 {
            0.0
        } else {
            round(m.cache_hits as f64 / looked as f64, 4)
        },
        read_tokens: read,
        write_tokens: write,
        itpm_relief_tokens: relief,
        cost_saved_usd: round(saved, 6),
    }
}

/// What the Message Batches API did for one strategy.
#[derive(Clone, Debug, Serialize)]
pub struct BatchReport {
    /// Logical requests sent by batch.
    pub requests: u64,
    /// Of those, succeeded.
    pub succeeded: u64,
    /// Of those, lost to expired batches (unbilled).
    pub expired: u64,
    /// Batches accepted.
    pub batches: u64,
    /// Submissions answered 429 (processing queue full or endpoint rate).
    pub rate_limited: u64,
    /// Submission-to-results time of accepted batches, seconds.
    pub turnaround_s: LatencyS,
    /// Cost of batched requests at the batch discount.
    pub cost_usd: f64,
    /// What the same tokens would have cost through the Messages API, minus
    /// `cost_usd`.
    pub savings_usd: f64,
}

/// Percentiles in seconds; each is `None` (`null` in JSON) when no batch
/// finished.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct LatencyS {
    /// Median.
    pub p50: Option<f64>,
    /// 90th percentile.
    pub p90: Option<f64>,
    /// 99th percentile.
    pub p99: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

fn batch_report(scenario: &Scenario, m: &RunMetrics, total: &ClassMetrics) -> BatchReport {
    let h = &m.batch_turnaround_us;
    let q = |p: f64| (!h.is_empty()).then(|| round(h.value_at_quantile(p) as f64 / 1e6, 1));
    let (mut cost, mut list) = (0.0, 0.0);
    for (i, t) in total.batch_tokens_by_model.iter().enumerate() {
        let p = &scenario.sim.provider.models[i].prices;
        cost += cost_usd(t, &p.batch());
        list += cost_usd(t, p);
    }
    BatchReport {
        requests: total.batch_requests,
        succeeded: total.batch_succeeded,
        expired: total.failed[4],
        batches: m.batches,
        rate_limited: m.batch_rate_limited,
        turnaround_s: LatencyS {
            p50: q(0.5),
            p90: q(0.9),
            p99: q(0.99),
            max: (!h.is_empty()).then(|| round(h.max() as f64 / 1e6, 1)),
        },
        cost_usd: round(cost, 6),
        savings_usd: round(list - cost, 6),
    }
}

/// Traffic and cost at one model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    /// Model id.
    pub model: String,
    /// Attempts sent to it.
    pub attempts: u64,
    /// Successful responses from it.
    pub succeeded: u64,
    /// 429s from it.
    pub rate_limited: u64,
    /// 529s from it.
    pub overloaded: u64,
    /// Its share of all successful responses.
    pub share_of_successes: f64,
    /// Billed tokens.
    pub tokens: TokenReport,
    /// Cost at this model.
    pub cost_usd: f64,
}

fn model_reports(scenario: &Scenario, m: &RunMetrics, total: &ClassMetrics) -> Vec<ModelReport> {
    let all_ok: u64 = m.by_model.iter().map(|c| c.succeeded).sum();
    m.by_model
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let spec = &scenario.sim.provider.models[i];
            let mut t = total.tokens_by_model[i];
            t.add(&total.batch_tokens_by_model[i]);
            let cost = messages_cost(scenario, total, i)
                + cost_usd(&total.batch_tokens_by_model[i], &spec.prices.batch());
            ModelReport {
                model: spec.id.clone(),
                attempts: c.attempts,
                succeeded: c.succeeded,
                rate_limited: c.rate_limited,
                overloaded: c.overloaded,
                share_of_successes: if all_ok == 0 {
                    0.0
                } else {
                    round(c.succeeded as f64 / all_ok as f64, 4)
                },
                tokens: TokenReport {
                    input: t.input,
                    output: t.output,
                    cache_read: t.cache_read,
                    cache_write: t.cache_write,
                    cache_write_1h: t.cache_write_1h,
                },
                cost_usd: round(cost, 6),
            }
        })
        .collect()
}

impl StrategyResult {
    /// Summarises one run.
    pub fn new(scenario: &Scenario, spec: &StrategySpec, m: &RunMetrics) -> StrategyResult {
        let total = m.total();
        let (by_replica, replica_spread) = replica_reports(m);
        let slo = scenario.sim.slo.as_ref();
        let judged_class = |i: usize, c: &ClassMetrics| {
            slo.map(|s| if s.rule(i).is_some() { c.requests } else { 0 })
        };
        let judged_total = slo.map(|_| {
            m.classes
                .iter()
                .enumerate()
                .filter_map(|(i, c)| judged_class(i, c))
                .sum()
        });
        StrategyResult {
            strategy: spec.name.clone(),
            layers: spec.describe(),
            total: outcome(scenario, &total, judged_total),
            by_model: model_reports(scenario, m, &total),
            cache: cache_report(scenario, &total),
            batch: batch_report(scenario, m, &total),
            by_class: scenario
                .sim
                .classes
                .iter()
                .zip(&m.classes)
                .enumerate()
                .map(|(i, (name, c))| {
                    let judged = slo.filter(|s| s.rule(i).is_some()).map(|_| c.requests);
                    (name.clone(), outcome(scenario, c, judged))
                })
                .collect(),
            events: m.events,
            peak_queue: m.peak_queue,
            peak_in_flight: m.peak_in_flight,
            spend_limit: spend_limit_report(scenario, m),
            by_replica,
            replica_spread,
        }
    }
}

impl Report {
    /// Builds the report for `scenario` from per-strategy results.
    pub fn new(scenario: &Scenario, results: Vec<StrategyResult>) -> Report {
        let p = &scenario.sim.provider;
        let mut assumptions = vec![
            burst_assumption(&p.limiter),
            format!("latency: {}", crate::model::catalog::LATENCY_SOURCE),
            match crate::model::catalog::profile(&scenario.tier) {
                Some(p) => format!(
                    "limits: profile `{}`{}: {} (read {}); scenario overrides apply",
                    p.name,
                    if p.official { "" } else { " (unofficial)" },
                    p.source,
                    p.read
                ),
                None => format!("limits: {}", crate::model::catalog::LIMITS_SOURCE),
            },
            format!("prices: {}", crate::model::catalog::PRICES_SOURCE),
        ];
        assumptions.push(
            "the server admits an attempt when it is sent; the network round trip is added to the response"
                .to_string(),
        );
        assumptions.extend(rule_assumptions(scenario));
        Report {
            schema_version: SCHEMA_VERSION,
            ratesim: Provenance::current(),
            scenario: scenario.name.clone(),
            seed: scenario.sim.seed,
            limiter: LimiterReport {
                algorithm: p.limiter.algorithm.name(),
                burst_s: p.limiter.burst.rpm.as_secs_f64(),
                burst_s_by_dimension: (!p.limiter.burst.is_uniform()).then(|| {
                    let b = p.limiter.burst;
                    BTreeMap::from([
                        ("itpm", b.itpm.as_secs_f64()),
                        ("otpm", b.otpm.as_secs_f64()),
                        ("rpm", b.rpm.as_secs_f64()),
                        ("tpm", b.tpm.as_secs_f64()),
                    ])
                }),
                otpm_accounting: match p.limiter.otpm_accounting {
                    OtpmAccounting::Realtime => "realtime",
                    OtpmAccounting::ReserveMaxTokens => "reserve_max_tokens",
                },
            },
            tier: scenario.tier.clone(),
            duration_s: scenario.sim.horizon.as_secs_f64(),
            drain_s: scenario.sim.drain.as_secs_f64(),
            pools: p
                .pools
                .iter()
                .enumerate()
                .map(|(i, (name, l))| PoolReport {
                    name: name.clone(),
                    models: p
                        .models
                        .iter()
                        .filter(|m| m.pool == i)
                        .map(|m| m.id.clone())
                        .collect(),
                    rpm: l.rpm,
                    itpm: l.itpm,
                    otpm: l.otpm,
                    tpm: l.tpm,
                    max_concurrent: l.max_concurrent,
                })
                .collect(),
            assumptions,
            slo: SloReport::of(scenario),
            results,
        }
    }

    /// Pretty JSON with a trailing newline; byte-identical for equal inputs.
    pub fn to_json(&self) -> String {
        json::pretty(self)
    }
}
