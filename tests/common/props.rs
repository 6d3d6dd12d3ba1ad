//! Helpers shared by the property-test files.

use proptest::test_runner::{Config, RngAlgorithm, RngSeed};

/// A proptest configuration that replays the same cases on every run: a
/// fixed ChaCha seed (one per file, so files explore different inputs) and
/// no failure files, so CI is repeatable and a failure reproduces anywhere.
pub fn repeatable(cases: u32, seed: u64) -> Config {
    Config {
        cases,
        rng_algorithm: RngAlgorithm::ChaCha,
        rng_seed: RngSeed::Fixed(seed),
        failure_persistence: None,
        ..Config::default()
    }
}
