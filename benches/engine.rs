//! The event queue (`ratesim::engine::EventQueue`) on its own: bulk
//! schedule-then-drain, the classic "hold" model at two queue sizes, a burst
//! of events at one instant (the sequence-number tie-break) and a workload
//! that cancels half of what it schedules.
//!
//! Run with `cargo bench --bench engine`; criterion reports elements (queue
//! operations as named per bench) per second. Random times are drawn from a
//! fixed-seed ChaCha8 stream before timing starts, so every run times the
//! same operations and no random draw is inside a timed loop.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::Exp;
use ratesim::engine::{EventQueue, SimTime};

/// Mean gap between an event and the one it schedules in the hold model (1 s).
const MEAN_INCREMENT_NS: f64 = 1e9;

/// `n` exponential increments with mean [`MEAN_INCREMENT_NS`], from a fixed seed.
fn exponential_increments(n: usize, seed: u64) -> Vec<SimTime> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let exp = Exp::new(1.0 / MEAN_INCREMENT_NS).expect("positive rate");
    (0..n)
        .map(|_| SimTime(exp.sample(&mut rng) as u64))
        .collect()
}

/// 100k events at pseudo-random times scheduled into a fresh queue, then
/// popped in order (allocation of the heap included).
fn schedule_pop(c: &mut Criterion) {
    const N: u64 = 100_000;
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(N));
    g.bench_function("schedule_pop_100k", |b| {
        b.iter(|| {
            let mut q: EventQueue<u32> = EventQueue::new();
            let mut x: u64 = 1;
            for i in 0..N {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                q.schedule(SimTime(x >> 34), i as u32);
            }
            while let Some(e) = q.pop() {
                black_box(e);
            }
        })
    });
    g.finish();
}

/// The hold model: a steady-state queue of `n` pending events where each pop
/// schedules one event at now + an exponential increment. This is the access
/// pattern of a simulation whose population of pending events is stable.
fn hold(c: &mut Criterion) {
    /// Hold operations (one pop plus one schedule) per timed iteration.
    const OPS: u64 = 1_000;
    let increments = exponential_increments(1 << 16, 8);
    let mask = increments.len() - 1;
    let mut g = c.benchmark_group("engine/hold");
    g.throughput(Throughput::Elements(OPS));
    for n in [1_000usize, 10_000] {
        let mut q: EventQueue<u64> = EventQueue::new();
        let mut k = 0usize;
        for i in 0..n {
            q.schedule(increments[k & mask], i as u64);
            k += 1;
        }
        // Run the queue into its steady-state shape before timing it.
        for _ in 0..10 * n {
            let (_, e) = q.pop().expect("the hold queue is never empty");
            q.schedule_in(increments[k & mask], e);
            k += 1;
        }
        g.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                for _ in 0..OPS {
                    let (_, e) = q.pop().expect("the hold queue is never empty");
                    q.schedule_in(increments[k & mask], black_box(e));
                    k += 1;
                }
            })
        });
    }
    g.finish();
}

/// 1,000 events scheduled at one instant, then popped: every comparison is
/// decided by the sequence number (events at one time pop in scheduling
/// order). The queue is reused, so the heap's allocation is not timed.
fn equal_time_burst(c: &mut Criterion) {
    const N: u64 = 1_000;
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(N));
    let mut q: EventQueue<u64> = EventQueue::new();
    g.bench_function("equal_time_burst_1k", |b| {
        b.iter(|| {
            let now = q.now();
            for i in 0..N {
                q.schedule(now, i);
            }
            while let Some(e) = q.pop() {
                black_box(e);
            }
        })
    });
    g.finish();
}

/// 10,000 events at random times, every other one cancelled before any
/// pops, then the queue drained: lazy cancellation pays on the pop side,
/// skipping the dead entries as they reach the front.
fn cancel_half(c: &mut Criterion) {
    const N: usize = 10_000;
    let offsets: Vec<SimTime> = exponential_increments(N, 9);
    let mut g = c.benchmark_group("engine");
    g.throughput(Throughput::Elements(N as u64));
    let mut q: EventQueue<u64> = EventQueue::new();
    let mut ids = Vec::with_capacity(N);
    g.bench_function("schedule_cancel_half_pop_10k", |b| {
        b.iter(|| {
            ids.clear();
            for (i, &d) in offsets.iter().enumerate() {
                ids.push(q.schedule_in(d, i as u64));
            }
            for id in ids.iter().step_by(2) {
                black_box(q.cancel(*id));
            }
            while let Some(e) = q.pop() {
                black_box(e);
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // HTML plots need a system font this machine may not have.
    config = Criterion::default().without_plots();
    targets = schedule_pop, hold, equal_time_burst, cancel_half
}
criterion_main!(benches);
