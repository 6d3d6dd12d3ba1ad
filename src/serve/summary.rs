//! What a serving session saw, as data: counts, latency percentiles and the
//! client's retry pattern, for the summary the CLI prints and `--out` saves.

use std::collections::BTreeMap;

use serde::Serialize;

use super::config::ServeConfig;
use super::record::{AttemptRecord, RetryPattern, retry_pattern};
use super::stats::Totals;
use crate::engine::SimTime;
use crate::metrics::{Failure, RunMetrics, Series};
use crate::model::{Dimension, catalog};

/// The end-of-session summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Simulated seconds served.
    pub simulated_s: f64,
    /// Wall seconds served.
    pub wall_s: f64,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Counts.
    pub totals: Totals,
    /// Latency of successful attempts, simulated milliseconds: p50, p90, p99, max.
    pub latency_ms: Option<[f64; 4]>,
    /// How the client retried.
    pub retries: RetryPattern,
}

/// The `q`-quantile (nearest rank) of sorted `v`.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Summarises a session from its counters and every attempt it judged.
pub fn summarise(
    records: &[AttemptRecord],
    totals: Totals,
    simulated_s: f64,
    wall_s: f64,
    speed: f64,
) -> Summary {
    let mut lat: Vec<f64> = records
        .iter()
        .filter(|r| r.attempt.status == 200)
        .map(|r| r.attempt.latency_ms)
        .collect();
    lat.sort_by(f64::total_cmp);
    Summary {
        simulated_s,
        wall_s,
        speed,
        totals,
        latency_ms: (!lat.is_empty()).then(|| {
            [
                quantile(&lat, 0.5),
                quantile(&lat, 0.9),
                quantile(&lat, 0.99),
                lat[lat.len() - 1],
            ]
        }),
        retries: retry_pattern(records),
    }
}

/// The attempts as a simulated run's metrics, so the end-of-session report
/// has `simulate`'s shape (tables, JSON, charts). One class: attempts are
/// grouped into logical requests as [`retry_pattern`] does; a request
/// succeeded if its last attempt got a 200 (latency from its first attempt
/// to the end of the last), else it gave up. Every attempt lands in the
/// time series of its pool.
pub fn run_metrics(records: &[AttemptRecord], cfg: &ServeConfig, end: SimTime) -> RunMetrics {
    let models = cfg.provider.models.len();
    let mut m = RunMetrics::new(1, models);
    m.series = Series::new(end, cfg.pool_names.len());
    let index = |id: &str| {
        let base = catalog::find_model(id).map_or(id, |x| x.id);
        cfg.provider.models.iter().position(|x| x.id == base)
    };
    let at = |s: f64| SimTime::from_secs_f64(s.max(0.0));
    let c = &mut m.classes[0];
    // Per body hash: the open chain's first attempt time.
    let mut open: BTreeMap<&str, (f64, bool)> = BTreeMap::new();
    for r in records {
        let Some(model) = index(&r.model) else {
            continue;
        };
        let pool = cfg.provider.models[model].pool;
        let a = &r.attempt;
        let now = at(r.timestamp);
        c.attempts += 1;
        let key = a.body_hash.as_str();
        let continues = open
            .get(key)
            .is_some_and(|(_, closed)| !closed && a.retry_count != Some(0));
        if !continues {
            c.requests += 1;
            open.insert(key, (r.timestamp, false));
        }
        let first = open.get(key).map_or(r.timestamp, |x| x.0);
        match a.status {
            200 => {
                let t = &mut c.tokens_by_model[model];
                t.input += r.input_tokens;
                t.output += r.output_tokens;
                t.cache_read += r.cache_read_input_tokens;
                t.cache_write += r.cache_creation_input_tokens;
                if r.cache_read_input_tokens > 0 {
                    c.cache_hits += 1;
                } else if r.cache_creation_input_tokens > 0 {
                    c.cache_misses += 1;
                }
                if r.output_tokens >= r.max_tokens {
                    c.truncated += 1;
                }
                c.succeed(at(r.timestamp + a.latency_ms / 1000.0 - first));
                open.insert(key, (first, true));
                m.series.sent(
                    now,
                    pool,
                    Some((
                        r.input_tokens + r.cache_creation_input_tokens,
                        r.output_tokens,
                    )),
                );
            }
            429 => {
                let d = a
                    .dimension
                    .as_deref()
                    .and_then(|n| Dimension::ALL.into_iter().find(|d| d.name() == n))
                    .unwrap_or(Dimension::Rpm);
                c.rate_limited_by(d);
                m.series.sent(now, pool, None);
                m.series.rate_limited(now, pool, d);
            }
            _ => {
                c.overloaded += 1;
                m.series.sent(now, pool, None);
                m.series.overloaded(now, pool);
            }
        }
    }
    let gave_up = open.values().filter(|(_, closed)| !closed).count();
    for _ in 0..gave_up {
        m.classes[0].fail(Failure::GaveUp);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&v, 0.99), 10.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
