//! Simulation throughput: a long tier-1 scenario with all six presets, and
//! the raw event queue.
//!
//! Run with `cargo bench --bench simulate`; criterion reports elements (events)
//! per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratesim::engine::{EventQueue, SimTime};
use ratesim::scenario::Scenario;
use ratesim::sim;

const DAY_AT_50_RPM: &str = r#"
name: bench-tier1-day
seed: 7
duration: 24h
drain: 10m
tier: tier1
latency: {network_rtt: 50ms, noise_sigma: 0.25}
classes: [interactive, background]
streams:
  - name: chat
    model: claude-sonnet-4-5
    class: interactive
    arrivals: {bursts: {base_per_min: 30, burst_per_min: 120, burst_length: 1m, period: 10m}}
    input_tokens: {lognormal: {median: 300, sigma: 0.5}}
    output_tokens: {lognormal: {median: 80, sigma: 0.5}}
    max_tokens: 512
  - name: batch
    model: claude-sonnet-4-5
    class: background
    arrivals: {poisson: {rate_per_min: 15}}
    input_tokens: {lognormal: {median: 400, sigma: 0.5}}
    output_tokens: {lognormal: {median: 100, sigma: 0.5}}
    max_tokens: 512
"#;

fn day_all_presets(c: &mut Criterion) {
    let scenario =
        Scenario::from_yaml_str("bench.yaml", DAY_AT_50_RPM).expect("valid bench scenario");
    let events: u64 = scenario
        .strategies
        .iter()
        .map(|s| sim::run(&scenario.sim, s).expect("runs").events)
        .sum();
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(events));
    g.bench_function("tier1_24h_six_presets", |b| {
        b.iter(|| {
            for s in &scenario.strategies {
                black_box(sim::run(black_box(&scenario.sim), s).expect("runs"));
            }
        })
    });
    g.finish();
}

fn event_queue(c: &mut Criterion) {
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

criterion_group!(benches, day_all_presets, event_queue);
criterion_main!(benches);
