//! Limiter properties over random request sequences, for each algorithm
//! (token bucket, sliding window, fixed window).
//!
//! Expectations come from the admitted log alone (sums over windows, the
//! token bucket's min-plus arrival curve), never from the limiter's code.
//! Fixed seed (ChaCha, no failure files), so CI runs are repeatable.

mod common;

use proptest::prelude::*;
use ratesim::engine::SimTime;
use ratesim::model::{Algorithm, Limiter, Need};

const SEC: u64 = SimTime::NANOS_PER_SEC;
const MIN: u64 = SimTime::NANOS_PER_MIN;

const ALGORITHMS: [Algorithm; 3] = [
    Algorithm::TokenBucket,
    Algorithm::SlidingWindow,
    Algorithm::FixedWindow,
];

fn config(cases: u32) -> ProptestConfig {
    common::repeatable(cases, 0x1111_7e55)
}

/// Gaps between requests: often none (same instant), often sub-second,
/// sometimes long enough to refill or leave a window.
fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => Just(0u64),
        4 => 0..2 * SEC,
        2 => 0..20 * SEC,
        1 => 0..90 * SEC,
        1 => prop_oneof![Just(MIN - 1), Just(MIN), Just(MIN + 1)],
    ]
}

/// `(algorithm, limit per minute, burst in ms, requests as (gap, units))`.
/// Units never exceed the capacity, so every request could fit an idle limiter.
fn scenario() -> impl Strategy<Value = (Algorithm, u64, u64, Vec<(u64, u64)>)> {
    (0..3usize, 1..=60u64, 100..=120_000u64)
        .prop_filter("bucket holds at least one unit", |&(_, limit, burst_ms)| {
            limit * burst_ms >= 60_000
        })
        .prop_flat_map(|(alg, limit, burst_ms)| {
            let alg = ALGORITHMS[alg];
            let cap = capacity(alg, limit, burst_ms * 1_000_000);
            (
                Just(alg),
                Just(limit),
                Just(burst_ms),
                prop::collection::vec((gap(), 1..=cap), 1..300),
            )
        })
}

/// Whole units an idle limiter holds: ⌊limit·burst/60 s⌋ for a bucket.
fn capacity(alg: Algorithm, limit: u64, burst_ns: u64) -> u64 {
    match alg {
        Algorithm::TokenBucket => (limit as u128 * burst_ns as u128 / MIN as u128) as u64,
        _ => limit,
    }
}

/// Whether the reference admits `u` units at `t` after the admitted `log`.
///
/// Token bucket of capacity C = limit·burst/60 s and rate r = limit/60 s,
/// starting full: its level at t is min over s ≤ t of C + r(t−s) − D(s, t],
/// so `u` fits iff u ≤ C and, for every earlier admission at tᵢ,
/// D[tᵢ, t] + u ≤ C + r(t − tᵢ). Scaled by 60 s to stay in integers.
/// Sliding window: usage in (t − 60 s, t] plus `u` within the limit.
/// Fixed window: usage in t's calendar minute plus `u` within the limit.
fn reference_admits(
    alg: Algorithm,
    limit: u64,
    burst_ns: u64,
    log: &[(u64, u64)],
    t: u64,
    u: u64,
) -> bool {
    match alg {
        Algorithm::TokenBucket => {
            let cap = limit as u128 * burst_ns as u128; // C · 60 s
            if u as u128 * MIN as u128 > cap {
                return false;
            }
            // Walk back accumulating D[tᵢ, t].
            let mut d = u as u128;
            log.iter().rev().all(|&(ti, ui)| {
                d += ui as u128;
                d * MIN as u128 <= cap + limit as u128 * (t - ti) as u128
            })
        }
        Algorithm::SlidingWindow => {
            let used: u64 = log
                .iter()
                .filter(|&&(ti, _)| ti + MIN > t)
                .map(|&(_, ui)| ui)
                .sum();
            used + u <= limit
        }
        Algorithm::FixedWindow => {
            let used: u64 = log
                .iter()
                .filter(|&&(ti, _)| ti / MIN == t / MIN)
                .map(|&(_, ui)| ui)
                .sum();
            used + u <= limit
        }
    }
}

/// The safety bound over a whole admitted log, checked on every window.
fn check_arrival_bound(
    alg: Algorithm,
    limit: u64,
    burst_ns: u64,
    log: &[(u64, u64)],
) -> Result<(), TestCaseError> {
    for (i, &(a, _)) in log.iter().enumerate() {
        match alg {
            // Any [a, b] between admissions: debits ≤ C + r·(b − a).
            Algorithm::TokenBucket => {
                let mut d = 0u128;
                for &(b, ub) in &log[i..] {
                    d += ub as u128;
                    prop_assert!(
                        d * MIN as u128 <= limit as u128 * (burst_ns + (b - a)) as u128,
                        "{} units in [{}, {}] exceed C + r·w",
                        d,
                        a,
                        b
                    );
                }
            }
            // Any 60 s window [a, a + 60 s) starting at an admission.
            Algorithm::SlidingWindow => {
                let sum: u64 = log[i..]
                    .iter()
                    .take_while(|&&(b, _)| b < a + MIN)
                    .map(|&(_, u)| u)
                    .sum();
                prop_assert!(sum <= limit, "{} units in 60 s from {}", sum, a);
            }
            // Per calendar minute.
            Algorithm::FixedWindow => {
                let sum: u64 = log[i..]
                    .iter()
                    .take_while(|&&(b, _)| b / MIN == a / MIN)
                    .map(|&(_, u)| u)
                    .sum();
                prop_assert!(sum <= limit, "{} units in minute {}", sum, a / MIN);
            }
        }
    }
    Ok(())
}

/// A limiter's whole observable state at `now`, for before/after equality.
fn observe(l: &Limiter, now: SimTime, cap: u64) -> (String, u64, SimTime, Vec<Option<SimTime>>) {
    let mut l = l.clone();
    let remaining = l.remaining(now);
    let reset = l.reset_at(now);
    let waits = [1, cap.div_ceil(2), cap, cap + 1]
        .into_iter()
        .map(|u| l.wait_static(now, Need::Units(u)))
        .chain([l.wait_static(now, Need::Positive)])
        .collect();
    (format!("{l:?}"), remaining, reset, waits)
}

proptest! {
    #![proptest_config(config(300))]

    /// Every decision equals the reference's, admitted units obey the
    /// algorithm's bound on every window, a rejection leaves the state as it
    /// was, and idle time refills to exactly the capacity, no more.
    #[test]
    fn decisions_match_the_reference_and_obey_the_arrival_bound(
        (alg, limit, burst_ms, reqs) in scenario()
    ) {
        let burst_ns = burst_ms * 1_000_000;
        let cap = capacity(alg, limit, burst_ns);
        let mut l = Limiter::new(alg, limit, SimTime(burst_ns));
        prop_assert_eq!(l.capacity(), cap);
        let mut log: Vec<(u64, u64)> = Vec::new();
        let mut t = 0u64;
        for (g, u) in reqs {
            t += g;
            let now = SimTime(t);
            let want = reference_admits(alg, limit, burst_ns, &log, t, u);
            let before = observe(&l, now, cap);
            let got = l.fits(now, Need::Units(u));
            prop_assert_eq!(got, want, "{} units at {} ns after {:?}", u, t, log);
            if got {
                l.debit(now, u);
                log.push((t, u));
            } else {
                prop_assert_eq!(observe(&l, now, cap), before, "a rejection changed the state");
            }
            prop_assert!(l.remaining(now) <= cap);
        }
        check_arrival_bound(alg, limit, burst_ns, &log)?;
        // Idle for longer than a refill or a window: exactly full again.
        let idle = SimTime(t + burst_ns.max(MIN) + MIN);
        prop_assert_eq!(l.remaining(idle), cap);
        prop_assert!(l.fits(idle, Need::Units(cap)));
        prop_assert!(!l.fits(idle, Need::Units(cap + 1)));
    }
}
