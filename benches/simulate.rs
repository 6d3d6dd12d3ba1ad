//! Whole-simulation throughput: the retry storm of issue 8 (elements are
//! logical requests) and a day of tier-1 traffic under every preset (elements
//! are events). The event queue alone is in `benches/engine.rs`.
//!
//! Run with `cargo bench --bench simulate`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ratesim::engine::SimTime;
use ratesim::scenario::Scenario;
use ratesim::sim;

mod yardstick;

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
    g.bench_function("tier1_24h_all_presets", |b| {
        b.iter(|| {
            for s in &scenario.strategies {
                black_box(sim::run(black_box(&scenario.sim), s).expect("runs"));
            }
        })
    });
    g.finish();
}

/// The issue's performance scenario (`scenarios/bench-retry-storm.yaml`),
/// shortened as `simulate --duration` does: one tier-1 pool, demand above
/// its limits and clients retrying with backoff, so most attempts are 429s.
fn retry_storm(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-retry-storm.yaml");
    let mut scenario = Scenario::load(&path).expect("valid bench scenario");
    // The file runs 100,000 minutes; one criterion sample repeats a slice.
    scenario.sim.horizon = SimTime(STORM_MINUTES * SimTime::NANOS_PER_MIN);
    let strategy = scenario.strategies.first().expect("one strategy");
    let requests = sim::run(&scenario.sim, strategy)
        .expect("runs")
        .total()
        .requests;
    let mut g = c.benchmark_group("simulate");
    g.sample_size(10);
    g.throughput(Throughput::Elements(requests));
    g.bench_function("retry_storm", |b| {
        b.iter(|| black_box(sim::run(black_box(&scenario.sim), strategy).expect("runs")))
    });
    g.finish();
}

/// Issue 15's ratio: ratesim's `simulate` of the retry storm and the bare
/// loop of `benches/yardstick` on the same slice, in one criterion group so
/// both are measured in the same run. Elements are logical requests, so
/// criterion's two throughputs divide into the ratio docs/performance.md
/// reports (ratesim ÷ yardstick). The scenario turns tier 1's spend cap off,
/// so both are the same rate-limit storm (`tests/yardstick.rs` checks they
/// do the same work).
fn storm_vs_yardstick(c: &mut Criterion) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-retry-storm.yaml");
    let mut scenario = Scenario::load(&path).expect("valid bench scenario");
    scenario.sim.horizon = SimTime(STORM_MINUTES * SimTime::NANOS_PER_MIN);
    let strategy = scenario.strategies.first().expect("one strategy");
    let total = sim::run(&scenario.sim, strategy).expect("runs").total();
    let bare = yardstick::run(STORM_MINUTES);
    assert_eq!(bare.requests, total.requests, "same arrivals");
    let mut g = c.benchmark_group("storm_vs_yardstick");
    g.sample_size(10);
    g.throughput(Throughput::Elements(total.requests));
    g.bench_function("ratesim", |b| {
        b.iter(|| black_box(sim::run(black_box(&scenario.sim), strategy).expect("runs")))
    });
    g.bench_function("yardstick", |b| {
        b.iter(|| black_box(yardstick::run(black_box(STORM_MINUTES))))
    });
    g.finish();
}

/// Simulated minutes of the retry storm per iteration.
const STORM_MINUTES: u64 = 5_000;

criterion_group! {
    name = benches;
    // HTML plots need a system font this machine may not have.
    config = Criterion::default().without_plots();
    targets = retry_storm, storm_vs_yardstick, day_all_presets
}
criterion_main!(benches);
