//! What a serving session saw, as data: counts, latency percentiles and the
//! client's retry pattern, for the summary the CLI prints and `--out` saves.

use hdrhistogram::Histogram;
use serde::Serialize;

use super::config::ServeConfig;
#[cfg(doc)]
use super::record::retry_pattern;
use super::record::{AttemptRecord, RetryPattern, RetryTracker, record};
use super::stats::Totals;
use crate::engine::SimTime;
use crate::metrics::series::bucket_width;
use crate::metrics::{Failure, PoolBucket, RunMetrics, Series};
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
    /// Latency of successful attempts, simulated milliseconds: p50, p90,
    /// p99 (to 4 significant digits of microseconds) and max (exact).
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
    let mut chains = RetryTracker::default();
    let mut latency = Latency::default();
    for r in records {
        chains.note(r);
        latency.add(r);
    }
    Summary {
        simulated_s,
        wall_s,
        speed,
        totals,
        latency_ms: latency.quantiles(),
        retries: chains.pattern(),
    }
}

/// Latency of 200s: a histogram of simulated microseconds and the exact max.
#[derive(Clone, Debug)]
struct Latency {
    us: Histogram<u64>,
    max_ms: f64,
}

impl Default for Latency {
    fn default() -> Latency {
        // Invariant: 4 significant digits is in range (at most 5).
        #[allow(clippy::expect_used)]
        let us = Histogram::new(4).expect("4 significant digits is valid");
        Latency {
            us,
            max_ms: f64::NEG_INFINITY,
        }
    }
}

impl Latency {
    fn add(&mut self, r: &AttemptRecord) {
        if r.attempt.status == 200 {
            let ms = r.attempt.latency_ms;
            record(&mut self.us, (ms.max(0.0) * 1000.0).round() as u64);
            self.max_ms = self.max_ms.max(ms);
        }
    }

    /// p50, p90, p99 and max, in milliseconds; `None` without a 200.
    fn quantiles(&self) -> Option<[f64; 4]> {
        let ms = |q: f64| self.us.value_at_quantile(q) as f64 / 1000.0;
        (!self.us.is_empty()).then(|| [ms(0.5), ms(0.9), ms(0.99), self.max_ms])
    }
}

/// The attempts as a simulated run's metrics, so the end-of-session report
/// has `simulate`'s shape (tables, JSON, charts). One class: attempts are
/// grouped into logical requests as [`retry_pattern`] does; a request
/// succeeded if its last attempt got a 200 (latency from its first attempt
/// to the end of the last), else it gave up. Every attempt lands in the
/// time series of its pool.
pub fn run_metrics(records: &[AttemptRecord], cfg: &ServeConfig, end: SimTime) -> RunMetrics {
    let mut s = Session::new(cfg);
    for r in records {
        s.add(r);
    }
    s.metrics(end)
}

/// A serving session's attempts folded in as they come, for
/// [`Session::summary`] and [`Session::metrics`]: histograms and counters,
/// per-second buckets (coarsened as [`Series`] would be, at most
/// [`crate::metrics::series::MAX_BUCKETS`] of them) and the open retry chains, so that memory does
/// not grow with the number of attempts.
#[derive(Clone, Debug)]
pub struct Session {
    /// Model ids (date suffixes resolved) to model index.
    models: Vec<(String, usize)>,
    pools_of_models: Vec<usize>,
    pools: usize,
    chains: RetryTracker,
    latency: Latency,
    metrics: RunMetrics,
    buckets: Buckets,
}

impl Session {
    /// An empty session of `cfg`'s models and pools.
    pub fn new(cfg: &ServeConfig) -> Session {
        let models = &cfg.provider.models;
        Session {
            models: models
                .iter()
                .enumerate()
                .map(|(i, m)| (m.id.clone(), i))
                .collect(),
            pools_of_models: models.iter().map(|m| m.pool).collect(),
            pools: cfg.pool_names.len(),
            chains: RetryTracker::default(),
            latency: Latency::default(),
            metrics: RunMetrics::new(1, models.len()),
            buckets: Buckets::new(cfg.pool_names.len()),
        }
    }

    fn model_index(&self, id: &str) -> Option<usize> {
        let base = catalog::find_model(id).map_or(id, |x| x.id);
        self.models.iter().find(|(m, _)| m == base).map(|(_, i)| *i)
    }

    /// Folds in the next attempt (in the order the server judged them).
    pub fn add(&mut self, r: &AttemptRecord) {
        let step = self.chains.note(r);
        self.latency.add(r);
        let a = &r.attempt;
        let Some(model) = self.model_index(&r.model) else {
            return;
        };
        let pool = self.pools_of_models[model];
        let now = SimTime::from_secs_f64(r.timestamp.max(0.0));
        let c = &mut self.metrics.classes[0];
        c.attempts += 1;
        if step.new_request {
            c.requests += 1;
        }
        let b = self.buckets.at(now, pool);
        b.attempts += 1;
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
                c.succeed(SimTime::from_secs_f64(
                    (r.timestamp + a.latency_ms / 1000.0 - step.first).max(0.0),
                ));
                b.requests += 1;
                b.input_tokens += r.input_tokens + r.cache_creation_input_tokens;
                b.output_tokens += r.output_tokens;
            }
            429 => {
                let d = a
                    .dimension
                    .as_deref()
                    .and_then(|n| Dimension::ALL.into_iter().find(|d| d.name() == n))
                    .unwrap_or(Dimension::Rpm);
                c.rate_limited_by(d);
                b.rate_limited[d.index()] += 1;
            }
            _ => {
                c.overloaded += 1;
                b.overloaded += 1;
            }
        }
    }

    /// The summary, given the server's counters at the end.
    pub fn summary(&self, totals: Totals, simulated_s: f64, wall_s: f64, speed: f64) -> Summary {
        Summary {
            simulated_s,
            wall_s,
            speed,
            totals,
            latency_ms: self.latency.quantiles(),
            retries: self.chains.pattern(),
        }
    }

    /// The session as a run's metrics, its series spanning `0..end`.
    pub fn metrics(&self, end: SimTime) -> RunMetrics {
        let mut m = self.metrics.clone();
        m.series = Series::new(end, self.pools);
        for (i, pool, b) in self.buckets.iter() {
            m.series.add(self.buckets.start(i), pool, b);
        }
        for _ in 0..self.chains.gave_up() {
            m.classes[0].fail(Failure::GaveUp);
        }
        m
    }
}

/// Per-pool counts in buckets of a "nice" width, as [`Series`] chooses for
/// the span seen so far: 1 s, then coarser as the session grows.
#[derive(Clone, Debug)]
struct Buckets {
    pools: usize,
    width: SimTime,
    data: Vec<PoolBucket>,
}

impl Buckets {
    fn new(pools: usize) -> Buckets {
        Buckets {
            pools,
            width: SimTime::from_secs(1),
            data: Vec::new(),
        }
    }

    fn start(&self, i: usize) -> SimTime {
        SimTime(self.width.as_nanos() * i as u64)
    }

    fn at(&mut self, now: SimTime, pool: usize) -> &mut PoolBucket {
        let w = bucket_width(now);
        if w > self.width {
            self.coarsen(w);
        }
        let i = (now.as_nanos() / self.width.as_nanos()) as usize;
        if self.data.len() < (i + 1) * self.pools {
            self.data
                .resize((i + 1) * self.pools, PoolBucket::default());
        }
        &mut self.data[i * self.pools + pool]
    }

    fn coarsen(&mut self, w: SimTime) {
        let old = std::mem::take(&mut self.data);
        let old_w = self.width;
        self.width = w;
        for (k, b) in old.iter().enumerate() {
            let i = (k / self.pools) as u64;
            let ni = (i * old_w.as_nanos() / w.as_nanos()) as usize;
            let j = ni * self.pools + k % self.pools;
            if self.data.len() <= j {
                self.data
                    .resize((ni + 1) * self.pools, PoolBucket::default());
            }
            self.data[j].merge(b);
        }
    }

    fn iter(&self) -> impl Iterator<Item = (usize, usize, &PoolBucket)> {
        self.data
            .iter()
            .enumerate()
            .map(|(k, b)| (k / self.pools, k % self.pools, b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_coarsen_as_the_series_would() {
        use crate::serve::record::AttemptInfo;
        let cfg =
            ServeConfig::from_scenario(&crate::serve::tier_scenario("tier1").unwrap()).unwrap();
        let model = cfg.provider.models[0].id.clone();
        let pool = cfg.provider.models[0].pool;
        let rec = |t: f64, status: u16| AttemptRecord {
            timestamp: t,
            model: model.clone(),
            input_tokens: 10,
            output_tokens: 5,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
            max_tokens: 100,
            attempt: AttemptInfo {
                request_id: "r".into(),
                status,
                dimension: (status == 429).then(|| "itpm".into()),
                retry_after: None,
                retry_count: Some(0),
                latency_ms: 0.0,
                stream: false,
                body_hash: format!("{:016x}", t as u64),
            },
        };
        let times = [0.5, 3.0, 1_999.5, 2_003.0, 4_999.5];
        let records: Vec<_> = times
            .iter()
            .enumerate()
            .map(|(i, &t)| rec(t, if i % 2 == 0 { 200 } else { 429 }))
            .collect();
        let end = SimTime::from_secs(5_000);
        let m = run_metrics(&records, &cfg, end);
        // 5,000 s need 5 s buckets: 0.5 and 3.0 share the first.
        assert_eq!(m.series.width(), SimTime::from_secs(5));
        let b = |t: u64| *m.series.pool(t as usize / 5, pool);
        assert_eq!((b(0).attempts, b(0).requests), (2, 1));
        assert_eq!(b(0).rate_limited[Dimension::Itpm.index()], 1);
        assert_eq!((b(1_995).attempts, b(2_000).attempts), (1, 1));
        assert_eq!((b(4_995).attempts, b(4_995).input_tokens), (1, 10));
        let c = &m.classes[0];
        assert_eq!((c.requests, c.attempts, c.succeeded), (5, 5, 3));
        assert_eq!(c.failed[0], 2);
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&v, 0.99), 10.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
