//! The yardstick of `benches/` does the same work as ratesim: over 10,000
//! simulated minutes of `scenarios/bench-retry-storm.yaml` it must count
//! the same 429s and the same p99 latency within 1 % (issue 15). Not timed:
//! the speed comparison is the criterion group `storm_vs_yardstick`.

#[path = "../benches/yardstick/mod.rs"]
mod yardstick;

use std::path::Path;

use ratesim::engine::SimTime;
use ratesim::scenario::Scenario;
use ratesim::sim;

const MINUTES: u64 = 10_000;

fn within(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs()
}

#[test]
fn yardstick_matches_ratesim_on_the_retry_storm() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-retry-storm.yaml");
    let mut scenario = Scenario::load(&path).expect("valid bench scenario");
    scenario.sim.horizon = SimTime(MINUTES * SimTime::NANOS_PER_MIN);
    // The yardstick is a rate-limit storm: tier 1's monthly spend cap would
    // pause the pool about a day in, so the scenario turns it off
    // (`spend: {tier_limit: false}`) and the yardstick has none.
    assert!(
        scenario.sim.provider.spend.is_none(),
        "bench-retry-storm.yaml must not enforce a spend limit"
    );
    assert_eq!(
        scenario.sim.drain,
        SimTime(yardstick::DRAIN_MINUTES * SimTime::NANOS_PER_MIN),
        "the yardstick hard-codes the scenario's drain"
    );
    let strategy = scenario.strategies.first().expect("one strategy");
    let total = sim::run(&scenario.sim, strategy).expect("runs").total();
    let sim_429: u64 = total.rate_limited.iter().sum();
    let sim_p99 = total.latency_us.value_at_quantile(0.99);

    let y = yardstick::run(MINUTES);
    let y_p99 = y.latency_us.value_at_quantile(0.99);
    eprintln!(
        "ratesim: {} requests, {} attempts, {} 429s, {} ok, p99 {} us",
        total.requests, total.attempts, sim_429, total.succeeded, sim_p99
    );
    eprintln!(
        "yardstick: {} requests, {} attempts, {} 429s, {} ok, p99 {} us",
        y.requests, y.attempts, y.rate_limited, y.succeeded, y_p99
    );
    // A storm: most attempts are 429s, so the comparison is not vacuous.
    assert!(
        sim_429 > total.requests,
        "{sim_429} 429s for {} requests",
        total.requests
    );
    assert_eq!(y.requests, total.requests, "same arrivals");
    assert!(
        within(y.rate_limited as f64, sim_429 as f64, 0.01),
        "429s: yardstick {} vs ratesim {sim_429}",
        y.rate_limited
    );
    assert!(
        within(y_p99 as f64, sim_p99 as f64, 0.01),
        "p99: yardstick {y_p99} us vs ratesim {sim_p99} us"
    );
}
