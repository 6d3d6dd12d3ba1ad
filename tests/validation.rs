//! Validation against theory (docs/validation.md): ratesim's figures next to
//! closed forms computed here, independently of the simulator.
//!
//! (a) M/M/c: a client-side semaphore in front of an unlimited server is an
//!     M/M/c queue; its mean wait must match Erlang C within the 95 % CI.
//! (b) A pure rate limit with no retries admits, in the long run, exactly
//!     the limit of the binding dimension (within 1 %), for every limiter.
//! (c) The contention experiment of the AWS "Exponential Backoff And
//!     Jitter" post: full and decorrelated jitter need fewer calls than
//!     equal jitter, which needs fewer than no jitter.
//!
//! Every run is seeded, so each test gives the same numbers forever; the
//! document quotes them.

mod common;

use std::path::Path;

use common::fixtures;
use ratesim::analysis::replicate::{self, Stat};
use ratesim::engine::SimTime;
use ratesim::report::StrategyResult;
use ratesim::scenario::Scenario;

const DIR: &str = "tests/fixtures/validation";

fn load(name: &str) -> Scenario {
    fixtures::load(Path::new(DIR).join(name))
}

/// Every strategy of `s` over `n` replications: per strategy, its runs.
fn replicate(s: &Scenario, n: u32) -> Vec<(String, Vec<StrategyResult>)> {
    replicate::run(s, &s.strategies, n, 0, &|| {})
        .unwrap_or_else(|e| panic!("{e}"))
        .into_iter()
        .map(|r| (r.strategy, r.runs))
        .collect()
}

fn stat(runs: &[StrategyResult], f: impl Fn(&StrategyResult) -> f64) -> Stat {
    Stat::of(&runs.iter().map(f).collect::<Vec<_>>())
}

// ---------------------------------------------------------------- (a) ----

/// Erlang C: the probability that an arrival waits in an M/M/c queue with
/// offered load `a` = λ/μ < c.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut term = 1.0; // a^k / k!
    let mut below = 0.0; // Σ_{k<c} a^k / k!
    for k in 0..c {
        below += term;
        term *= a / (k + 1) as f64;
    }
    let top = term * c as f64 / (c as f64 - a); // a^c/c! · c/(c − a)
    top / (below + top)
}

#[test]
fn erlang_c_matches_textbook_values() {
    // M/M/1: P(wait) = ρ. M/M/2 with a = 1: C = 1/3.
    assert!((erlang_c(1, 0.7) - 0.7).abs() < 1e-12);
    assert!((erlang_c(2, 1.0) - 1.0 / 3.0).abs() < 1e-12);
    // c = 4, a = 3.2 by hand: (4.369067 · 5) / (14.781333 + 21.845333).
    assert!((erlang_c(4, 3.2) - 0.596_43).abs() < 1e-5);
}

#[test]
fn semaphore_wait_matches_erlang_c() {
    // λ = 192/min = 3.2/s; service exponential with mean 10,000 tokens at
    // 10,000 tokens/s: μ = 1/s.
    let (lambda, mu) = (3.2, 1.0);
    let s = load("erlang-c.yaml");
    assert_eq!(s.sim.horizon, SimTime::from_secs(2 * 3600));
    let results = replicate(&s, 30);
    let mut rows = Vec::new();
    for (name, runs) in &results {
        let c: u32 = name[1..].parse().expect("strategies are named cN");
        for r in runs {
            // Nothing but the semaphore holds a request back.
            assert_eq!(r.total.rate_limited.total, 0, "{name}");
            assert_eq!(r.total.succeeded, r.total.requests, "{name}");
            assert!(r.peak_in_flight <= c as u64, "{name}");
        }
        let w_q = erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) * 1000.0;
        let sim = stat(runs, |r| r.total.queue_wait_ms.expect("attempts were made"));
        rows.push(format!(
            "c={c}: Erlang C W_q = {w_q:.1} ms, ratesim {:.1} ± {:.1} ms",
            sim.mean, sim.half_width
        ));
        assert!(
            sim.lo() <= w_q && w_q <= sim.hi(),
            "c={c}: W_q = {w_q:.2} ms outside the 95 % CI [{:.2}, {:.2}]",
            sim.lo(),
            sim.hi()
        );
        // A narrow interval, so containing W_q means something.
        assert!(
            sim.half_width < 0.05 * w_q,
            "c={c}: half-width {:.2} ms is not < 5 % of {w_q:.2}",
            sim.half_width
        );
    }
    assert_eq!(rows.len(), 3);
    eprintln!("{}", rows.join("\n"));
}

// ---------------------------------------------------------------- (b) ----

/// Limit of each binding dimension, per minute (requests or tokens).
const LIMIT: f64 = 60.0;
/// Input tokens per ITPM request and output tokens per OTPM response.
const TOKENS: f64 = 1000.0;
/// Arrival window, minutes.
const MINUTES: f64 = 360.0;
/// Poisson arrivals per minute in each stream (three times the limit).
const ARRIVALS: f64 = 180.0;

/// Erlang B: the blocking probability of an M/G/c/c loss system with
/// offered load `a`, by the usual recursion.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (k as f64 + a * b))
}

#[test]
fn erlang_b_matches_textbook_values() {
    // B(1, a) = a/(1 + a); B(2, 1) = 1/5.
    assert!((erlang_b(1, 3.0) - 0.75).abs() < 1e-12);
    assert!((erlang_b(2, 1.0) - 0.2).abs() < 1e-12);
}

/// Admitted units per minute in each of the three binding dimensions (RPM
/// on Sonnet, ITPM on Haiku 4.5, OTPM on Opus), over the replications.
fn admitted_rates(file: &str) -> [(&'static str, Stat); 3] {
    let s = load(file);
    assert_eq!(s.sim.horizon, SimTime::from_secs(MINUTES as u64 * 60));
    let results = replicate(&s, 5);
    let runs = &results[0].1;
    let model = |r: &StrategyResult, id: &str| {
        r.by_model
            .iter()
            .find(|m| m.model == id)
            .unwrap_or_else(|| panic!("no {id}"))
            .clone()
    };
    for r in runs {
        // Every 429 is final and each stream has its own pool, so the
        // successes are exactly the admitted requests of its dimension.
        assert_eq!(r.total.succeeded + r.total.failed, r.total.requests);
        assert_eq!(r.total.rate_limited.total, r.total.failed);
        assert_eq!(r.total.attempts, r.total.requests);
        let rl = r.total.rate_limited;
        assert_eq!(rl.total, rl.rpm + rl.itpm + rl.otpm, "{file}");
        for (id, n) in [
            ("claude-sonnet-4-5", rl.rpm),
            ("claude-haiku-4-5", rl.itpm),
            ("claude-opus-4-5", rl.otpm),
        ] {
            assert_eq!(model(r, id).rate_limited, n, "{file}: {id}");
        }
    }
    [
        (
            "rpm",
            stat(runs, |r| {
                model(r, "claude-sonnet-4-5").succeeded as f64 / MINUTES
            }),
        ),
        (
            "itpm",
            stat(runs, |r| {
                model(r, "claude-haiku-4-5").tokens.input as f64 / MINUTES
            }),
        ),
        (
            "otpm",
            stat(runs, |r| {
                model(r, "claude-opus-4-5").tokens.output as f64 / MINUTES
            }),
        ),
    ]
}

/// Checks each dimension's admitted rate: within 1 % of the limit, and
/// within `tolerance` (a fraction of the limit) of the algorithm's exact
/// expectation `exact` (in requests per minute).
fn check_rates(file: &str, exact: f64, tolerance: f64) {
    for (dim, sim) in admitted_rates(file) {
        let unit = if dim == "rpm" { 1.0 } else { TOKENS };
        let limit = LIMIT * unit;
        let rel = (sim.mean - limit) / limit;
        eprintln!(
            "{file} {dim}: limit {limit}, expected {:.4}, ratesim {:.4} ± {:.4} ({:+.3} %)",
            exact * unit,
            sim.mean,
            sim.half_width,
            rel * 100.0
        );
        assert!(
            rel.abs() < 0.01,
            "{file} {dim}: admitted {:.3}/min is not within 1 % of the limit {limit}",
            sim.mean
        );
        assert!(
            (sim.mean - exact * unit).abs() <= tolerance * limit,
            "{file} {dim}: admitted {:.4}/min, expected {:.4}",
            sim.mean,
            exact * unit
        );
    }
}

#[test]
fn token_bucket_admits_the_limit_plus_its_initial_burst() {
    // Full at the start (capacity one minute's worth), refilled at the
    // limit and never full again while demand is three times the limit:
    // admitted = capacity + limit × T, less the fraction of a unit left in
    // the bucket at the end and the refill lost before the first arrival.
    let exact = (LIMIT + LIMIT * MINUTES) / MINUTES;
    check_rates("rate-limit-token-bucket.yaml", exact, 0.0005);
}

#[test]
fn fixed_window_admits_exactly_the_limit_every_minute() {
    // Each calendar minute admits its first 60 requests (or 60,000 tokens);
    // P(fewer than 60 Poisson(180) arrivals in a minute) < 1e-20.
    check_rates("rate-limit-fixed-window.yaml", LIMIT, 1e-9);
}

#[test]
fn sliding_window_is_an_erlang_loss_system() {
    // An admitted unit holds one of 60 "slots" for exactly 60 s and a
    // request arriving with no free slot is lost: M/G/60/60 with offered
    // load λ × 60 s = 180 Erlang, so the admitted rate is λ(1 − B(60, 180))
    // (Erlang B is insensitive to the holding-time distribution). It is
    // 0.8 % under the limit: a freed slot waits for the next arrival. The
    // run starts empty, which adds a few admissions over 6 h (+0.03 %).
    let exact = ARRIVALS * (1.0 - erlang_b(LIMIT as u32, ARRIVALS));
    assert!((exact - 59.512).abs() < 0.001, "{exact}");
    check_rates("rate-limit-sliding-window.yaml", exact, 0.001);
}

// ---------------------------------------------------------------- (c) ----

/// The jitter kinds, as the fixture names its strategies.
const JITTERS: [&str; 4] = [
    "no-jitter",
    "equal-jitter",
    "full-jitter",
    "decorrelated-jitter",
];

#[test]
fn jitter_ranking_matches_the_aws_study() {
    let base = load("backoff-jitter.yaml");
    let names: Vec<&str> = base.strategies.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, JITTERS);
    // The study's client counts (its simulator runs 10 to 50 clients).
    for clients in [10u64, 20, 30, 40, 50] {
        let mut s = base.clone();
        s.sim.streams[0].spikes[0].count = clients;
        let results = replicate(&s, 30);
        let mut calls = Vec::new();
        let mut time = Vec::new();
        for (name, runs) in &results {
            for r in runs {
                assert_eq!(r.total.succeeded, clients, "{clients} {name}: all finish");
            }
            calls.push(stat(runs, |r| r.total.attempts as f64));
            time.push(stat(runs, |r| r.total.latency_ms.max.unwrap() / 1000.0));
        }
        let [none, equal, full, decorrelated] = [0, 1, 2, 3];
        eprintln!(
            "{clients} clients: calls {}; completion s {}",
            calls
                .iter()
                .zip(JITTERS)
                .map(|(c, j)| format!("{j} {:.1} ± {:.1}", c.mean, c.half_width))
                .collect::<Vec<_>>()
                .join(", "),
            time.iter()
                .map(|t| format!("{:.0} ± {:.0}", t.mean, t.half_width))
                .collect::<Vec<_>>()
                .join(", "),
        );

        // Without jitter every client retries in the same instant and the
        // bucket (capacity 1) admits one per round: N + (N − 1) + … + 1
        // calls, the last success after N − 1 rounds of (response round
        // trip 2 s + min(100 s, 0.25 s × 2^k)), plus its own 10 ms of
        // generation and round trip.
        let n = clients as f64;
        assert_eq!(calls[none].mean, n * (n + 1.0) / 2.0);
        assert_eq!(calls[none].half_width, 0.0);
        let rounds: f64 = (0..clients - 1)
            .map(|k| 2.0 + (0.25 * 2f64.powi(k as i32)).min(100.0))
            .sum();
        let last = rounds + 0.01 + 2.0;
        assert!(
            (time[none].mean - last).abs() <= 0.001 * last,
            "{clients}: no jitter finishes at {} s, expected {last} s",
            time[none].mean
        );

        // The study's ranking, with non-overlapping 95 % intervals: full
        // and decorrelated jitter do less work than equal jitter, which
        // does less than none.
        for better in [full, decorrelated] {
            assert!(
                calls[better].hi() < calls[equal].lo(),
                "{clients}: {} calls {:.1} ± {:.1} not below equal jitter's {:.1} ± {:.1}",
                JITTERS[better],
                calls[better].mean,
                calls[better].half_width,
                calls[equal].mean,
                calls[equal].half_width
            );
        }
        assert!(calls[equal].hi() < calls[none].lo(), "{clients}");
        // And on time: none is the clear loser; equal jitter "takes much
        // longer" than full or decorrelated jitter.
        for better in [full, decorrelated] {
            assert!(time[better].hi() < time[equal].lo(), "{clients}");
        }
        assert!(time[equal].hi() < time[none].lo(), "{clients}");
    }
}
