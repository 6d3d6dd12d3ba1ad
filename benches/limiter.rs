//! Admission checks: one limiter of each algorithm on its own, and a whole
//! tier-1 Sonnet pool (RPM, ITPM and OTPM together) under each OTPM
//! accounting rule, each under a light load that is mostly admitted and a
//! saturating one that is mostly rejected.
//!
//! Run with `cargo bench --bench limiter`; elements are requests checked.
//! Every request sequence is drawn from a fixed-seed ChaCha8 stream before
//! timing, and every timed iteration replays it against a fresh limiter or
//! pool from time zero (building that is not timed), so iterations do the
//! same work.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp, LogNormal};
use ratesim::engine::SimTime;
use ratesim::model::{
    Algorithm, Demand, Limiter, LimiterConfig, Need, OtpmAccounting, Pool, PoolLimits, Verdict,
};

/// Requests per timed iteration.
const REQUESTS: usize = 10_000;
/// Bucket capacity: one minute at the limit (ratesim's default).
const BURST: SimTime = SimTime(SimTime::NANOS_PER_MIN);
/// Tier-1 Sonnet limits, as in `scenarios/bench-retry-storm.yaml`.
const RPM: u64 = 50;
const ITPM: u64 = 30_000;
const OTPM: u64 = 8_000;

/// The two loads: (name, arrivals per minute for one ITPM limiter, for a pool).
///
/// One limiter sees about 450 input tokens per request, so 30/min uses 45 %
/// of a 30,000 ITPM limit and 240/min asks for 3.6 times it. A pool's binding
/// limit is 50 RPM (and 8,000 OTPM when `max_tokens` is reserved): 20/min
/// stays within every dimension under both OTPM rules, 200/min is 4 × RPM.
const LOADS: [(&str, f64, f64); 2] = [("admitting", 30.0, 20.0), ("saturated", 240.0, 200.0)];

/// Poisson arrival times at `per_min`, with a lognormal size (median `median`,
/// sigma 0.5) drawn for each.
fn arrivals(per_min: f64, median: f64, rng: &mut ChaCha8Rng) -> Vec<(SimTime, u64)> {
    let gap = Exp::new(per_min / SimTime::NANOS_PER_MIN as f64).expect("positive rate");
    let size = LogNormal::new(median.ln(), 0.5).expect("valid lognormal");
    let mut t = 0.0;
    (0..REQUESTS)
        .map(|_| {
            t += gap.sample(rng);
            (SimTime(t as u64), (size.sample(rng).round() as u64).max(1))
        })
        .collect()
}

/// One ITPM limiter: `fits`, then `debit` when it fits or, when it does not,
/// `wait_static` (the earliest fit a 429's `retry-after` is built from).
fn single_limiter(c: &mut Criterion) {
    let mut g = c.benchmark_group("limiter");
    g.throughput(Throughput::Elements(REQUESTS as u64));
    for (load, per_min, _) in LOADS {
        let requests = arrivals(per_min, 400.0, &mut ChaCha8Rng::seed_from_u64(1));
        for algorithm in [
            Algorithm::TokenBucket,
            Algorithm::SlidingWindow,
            Algorithm::FixedWindow,
        ] {
            let id = format!("{}/{load}", algorithm.name());
            g.bench_function(id, |b| {
                b.iter_batched_ref(
                    || Limiter::new(algorithm, ITPM, BURST),
                    |lim| {
                        let mut admitted = 0u32;
                        for &(now, units) in &requests {
                            let need = Need::Units(units);
                            if lim.fits(now, need) {
                                lim.debit(now, units);
                                admitted += 1;
                            } else {
                                black_box(lim.wait_static(now, need));
                            }
                        }
                        admitted
                    },
                    BatchSize::SmallInput,
                )
            });
        }
    }
    g.finish();
}

/// A pool's demands: the retry storm's sizes (input median 400, output
/// median 100, `max_tokens` 256), 0.5 s to the first token, 50 tokens/s.
fn demands(per_min: f64) -> Vec<(SimTime, Demand)> {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let inputs = arrivals(per_min, 400.0, &mut rng);
    let output = LogNormal::new(100f64.ln(), 0.5).expect("valid lognormal");
    inputs
        .into_iter()
        .map(|(now, input)| {
            let max_tokens = 256;
            let out = (output.sample(&mut rng).round() as u64).clamp(1, max_tokens);
            let generation_start = now + SimTime::from_millis(500);
            let finish = generation_start + SimTime::from_millis(20 * out);
            let demand = Demand {
                itpm_tokens: input,
                max_tokens,
                output_estimate: max_tokens,
                output_tokens: out,
                generation_start,
                finish,
            };
            (now, demand)
        })
        .collect()
}

/// `Pool::check`, then `Pool::admit` when admitted: every dimension, the
/// pending refunds and drains, and on a rejection the earliest fit.
fn pool(c: &mut Criterion) {
    let limits = PoolLimits {
        rpm: Some(RPM),
        itpm: Some(ITPM),
        otpm: Some(OTPM),
        ..PoolLimits::default()
    };
    let mut g = c.benchmark_group("pool");
    g.throughput(Throughput::Elements(REQUESTS as u64));
    for (load, _, per_min) in LOADS {
        let requests = demands(per_min);
        for (name, otpm_accounting) in [
            ("realtime", OtpmAccounting::Realtime),
            ("reserve_max_tokens", OtpmAccounting::ReserveMaxTokens),
        ] {
            let config = LimiterConfig {
                algorithm: Algorithm::TokenBucket,
                burst: ratesim::model::Bursts::uniform(BURST),
                otpm_accounting,
                ..LimiterConfig::default()
            };
            g.bench_function(format!("{name}/{load}"), |b| {
                b.iter_batched_ref(
                    || Pool::new(limits, config),
                    |pool| {
                        let mut admitted = 0u32;
                        for (now, demand) in &requests {
                            match pool.check(*now, demand) {
                                Verdict::Admit => {
                                    pool.admit(*now, demand);
                                    admitted += 1;
                                }
                                v => {
                                    black_box(v);
                                }
                            }
                        }
                        admitted
                    },
                    BatchSize::SmallInput,
                )
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    // HTML plots need a system font this machine may not have.
    config = Criterion::default().without_plots();
    targets = single_limiter, pool
}
criterion_main!(benches);
