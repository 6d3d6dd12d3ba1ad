//! Conservation over random small scenarios: every logical request that
//! arrives ends in exactly one terminal state, for every strategy preset and
//! every priority class, whatever the limits, algorithm or workload.
//!
//! Scenarios are generated as YAML text, so the loader is exercised too. The
//! runner uses a fixed seed (ChaCha, no failure files): CI runs are repeatable.

mod common;

use proptest::prelude::*;
use ratesim::metrics::FAILURES;
use ratesim::scenario::Scenario;
use ratesim::sim;
use ratesim::strategy::Preset;

fn config(cases: u32) -> ProptestConfig {
    common::repeatable(cases, 0x5eed_c0de)
}

/// One generated stream: `(model, class, rate/min, median input, median
/// output, max_tokens, deadline s or none)`.
type StreamSpec = (usize, usize, u32, u32, u32, u32, Option<u32>);

const MODELS: [&str; 3] = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"];
/// The pool each of `MODELS` draws on.
const POOLS: [&str; 3] = ["sonnet-4", "haiku-4-5", "opus-4"];
const ALGORITHMS: [&str; 3] = ["token_bucket", "sliding_window", "fixed_window"];
const ACCOUNTINGS: [&str; 2] = ["realtime", "reserve_max_tokens"];

fn stream() -> impl Strategy<Value = StreamSpec> {
    (
        0..MODELS.len(),
        0..2usize,
        1..120u32,
        50..6_000u32,
        10..800u32,
        prop_oneof![Just(256u32), Just(1_024), Just(4_096)],
        prop_oneof![Just(None), (10..300u32).prop_map(Some)],
    )
}

/// A scenario as YAML text: a tier, optional tighter limits, an algorithm,
/// a few streams and every preset as a strategy.
fn scenario() -> impl Strategy<Value = String> {
    (
        1..=4u32,
        prop::option::of((5..60u32, 2_000..40_000u32, 500..10_000u32)),
        0..ALGORITHMS.len(),
        1..=90u32,
        0..ACCOUNTINGS.len(),
        5..=20u32,
        0..=10u32,
        prop::collection::vec(stream(), 1..=3),
        any::<u32>(),
    )
        .prop_map(|(tier, pools, alg, burst, acct, minutes, drain, streams, seed)| {
            let mut y = format!(
                "name: prop\nseed: {seed}\nduration: {minutes}m\ndrain: {drain}m\ntier: tier{tier}\n\
                 limiter: {{algorithm: {}, burst: {burst}s, otpm_accounting: {}}}\n\
                 classes: [interactive, background]\n",
                ALGORITHMS[alg], ACCOUNTINGS[acct],
            );
            if let Some((rpm, itpm, otpm)) = pools {
                // Tighter limits on the first stream's pool (a pool no stream
                // uses is an error).
                let pool = POOLS[streams[0].0];
                y += &format!("pools:\n  {pool}: {{rpm: {rpm}, itpm: {itpm}, otpm: {otpm}}}\n");
            }
            y += "streams:\n";
            for (i, (model, class, rate, input, output, max, deadline)) in streams.iter().enumerate() {
                let class = ["interactive", "background"][*class];
                y += &format!(
                    "  - name: s{i}\n    model: {}\n    class: {class}\n    \
                     arrivals: {{poisson: {{rate_per_min: {rate}}}}}\n    \
                     input_tokens: {{lognormal: {{median: {input}, sigma: 0.6}}}}\n    \
                     output_tokens: {{lognormal: {{median: {output}, sigma: 0.6}}}}\n    \
                     max_tokens: {max}\n",
                    MODELS[*model],
                );
                if let Some(d) = deadline {
                    y += &format!("    deadline: {d}s\n");
                }
            }
            y += "strategies:\n";
            for p in Preset::ALL {
                y += &format!("  - {}\n", p.name());
            }
            y
        })
}

proptest! {
    #![proptest_config(config(24))]

    /// requests = succeeded + Σ failures (gave up, deadline, too large,
    /// unfinished, batch expired), per class and strategy: nothing is lost,
    /// nothing is counted twice, and nothing is left in flight uncounted.
    #[test]
    fn every_arrival_ends_in_exactly_one_terminal_state(yaml in scenario()) {
        let s = Scenario::from_yaml_str("prop.yaml", &yaml)
            .map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        prop_assert_eq!(s.strategies.len(), Preset::ALL.len());
        for spec in &s.strategies {
            let m = sim::run(&s.sim, spec).map_err(|e| TestCaseError::fail(e.to_string()))?;
            for (class, c) in m.classes.iter().enumerate() {
                let terminal: u64 = c.succeeded + c.failed.iter().sum::<u64>();
                prop_assert_eq!(
                    c.requests, terminal,
                    "strategy {} class {}: {} arrived, {} succeeded, failed {:?}\n{}",
                    spec.name, class, c.requests, c.succeeded, c.failed, yaml
                );
                prop_assert_eq!(c.failed.len(), FAILURES);
            }
        }
    }
}
