//! Runs the retry-storm yardstick of `benches/yardstick` alone, or ratesim's
//! own simulation of the same scenario, for profiling the two side by side
//! (issue 15). Nothing else happens in the process: no report, no output
//! beyond one summary line on stderr, so an instruction count (callgrind)
//! is the loop's own.
//!
//! ```sh
//! cargo build --release --example yardstick
//! target/release/examples/yardstick yardstick 500   # the bare loop, 500 simulated minutes
//! target/release/examples/yardstick ratesim 500     # sim::run on bench-retry-storm.yaml, 500 minutes
//! valgrind --tool=callgrind target/release/examples/yardstick yardstick 500
//! ```

#[path = "../benches/yardstick/mod.rs"]
mod yardstick;

use std::path::Path;
use std::process::ExitCode;

use ratesim::engine::SimTime;
use ratesim::scenario::Scenario;
use ratesim::sim;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (which, minutes) = match args.as_slice() {
        [w, m] => match m.parse::<u64>() {
            Ok(m) => (w.as_str(), m),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    match which {
        "yardstick" => {
            let y = yardstick::run(minutes);
            eprintln!(
                "yardstick: {} requests, {} attempts, {} 429s, {} ok, p99 {} us",
                y.requests,
                y.attempts,
                y.rate_limited,
                y.succeeded,
                y.latency_us.value_at_quantile(0.99)
            );
        }
        "ratesim" => {
            let path =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/bench-retry-storm.yaml");
            let mut scenario = match Scenario::load(&path) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            scenario.sim.horizon = SimTime(minutes * SimTime::NANOS_PER_MIN);
            let Some(strategy) = scenario.strategies.first() else {
                eprintln!("no strategy");
                return ExitCode::FAILURE;
            };
            let total = match sim::run(&scenario.sim, strategy) {
                Ok(m) => m.total(),
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            eprintln!(
                "ratesim: {} requests, {} attempts, {} 429s, {} ok, p99 {} us",
                total.requests,
                total.attempts,
                total.rate_limited.iter().sum::<u64>(),
                total.succeeded,
                total.latency_us.value_at_quantile(0.99)
            );
        }
        _ => return usage(),
    }
    ExitCode::SUCCESS
}

fn usage() -> ExitCode {
    eprintln!("usage: yardstick (yardstick|ratesim) MINUTES");
    ExitCode::FAILURE
}
