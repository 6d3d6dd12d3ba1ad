//! The report's optional sections: per replica of a fleet, prompt caching,
//! the Batch API and per model.

use serde::Serialize;

use super::{TokenReport, cost_usd, messages_cost};
use crate::metrics::{ClassMetrics, RunMetrics};
use crate::scenario::Scenario;
use crate::text::num::round;

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

pub(super) fn replica_reports(m: &RunMetrics) -> (Vec<ReplicaReport>, Option<ReplicaSpread>) {
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

pub(super) fn cache_report(scenario: &Scenario, m: &ClassMetrics) -> CacheReport {
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
        hit_rate: share(m.cache_hits, looked),
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

pub(super) fn batch_report(
    scenario: &Scenario,
    m: &RunMetrics,
    total: &ClassMetrics,
) -> BatchReport {
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

pub(super) fn model_reports(
    scenario: &Scenario,
    m: &RunMetrics,
    total: &ClassMetrics,
) -> Vec<ModelReport> {
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
                share_of_successes: share(c.succeeded, all_ok),
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

/// `n / of` to four decimals; 0 when `of` is 0 (nothing to share).
fn share(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        round(n as f64 / of as f64, 4)
    }
}
