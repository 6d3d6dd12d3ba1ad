//! Scenarios written in the test and run through the library.

use ratesim::metrics::RunMetrics;
use ratesim::scenario::Scenario;
use ratesim::sim;
use ratesim::strategy::StrategySpec;

/// Parses `yaml` as a scenario file named `inline.yaml`, panicking with the
/// error.
pub fn scenario(yaml: &str) -> Scenario {
    Scenario::from_yaml_str("inline.yaml", yaml).unwrap_or_else(|e| panic!("{e}"))
}

/// One run of `spec` on `s`, panicking with the strategy's name on error.
pub fn run_strategy(s: &Scenario, spec: &StrategySpec) -> RunMetrics {
    sim::run(&s.sim, spec).unwrap_or_else(|e| panic!("{}: {e}", spec.name))
}

/// The strategy of `s` called `name`.
pub fn named<'a>(s: &'a Scenario, name: &str) -> &'a StrategySpec {
    s.strategies
        .iter()
        .find(|x| x.name == name)
        .unwrap_or_else(|| panic!("no strategy `{name}`"))
}
