//! The report: what a run measured, as serde data. [`crate::export`]
//! renders it.

mod assumptions;
pub mod catalog;
pub mod json;
pub mod provenance;
mod sections;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::metrics::{ClassMetrics, RunMetrics, Tokens};
use crate::model::OtpmAccounting;
use crate::model::catalog::Prices;
use crate::scenario::Scenario;
use crate::strategy::StrategySpec;
use crate::text::num::round;

pub use provenance::Provenance;
pub use sections::{BatchReport, CacheReport, LatencyS, ModelReport, ReplicaReport, ReplicaSpread};

use assumptions::{burst_assumption, rule_assumptions};
use sections::{batch_report, cache_report, model_reports, replica_reports};

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

/// Messages API cost at model `i`: list prices, except long-context
/// requests at their own prices (cost is linear in the prices, so the
/// long-context part is re-priced: + at its prices − at list prices).
pub(super) fn messages_cost(scenario: &Scenario, m: &ClassMetrics, i: usize) -> f64 {
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
