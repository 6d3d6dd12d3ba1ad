//! Limiter-level properties, each checked against an independently computed
//! expectation (a closed form, a hand-worked number or a brute-force
//! reference model), never against the simulator's own arithmetic.

use ratesim::engine::SimTime;
use ratesim::model::bucket::{SCALE, TokenBucket};
use ratesim::model::catalog::find_model;
use ratesim::model::{
    Algorithm, Attempt, Demand, Dimension, Latency, LimiterConfig, ModelSpec, OtpmAccounting,
    Overload, Oversized, Pool, PoolLimits, Provider, ProviderConfig, Status, Verdict,
};

const SEC: u64 = SimTime::NANOS_PER_SEC;
const MIN: u64 = SimTime::NANOS_PER_MIN;

fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

fn ms(m: u64) -> SimTime {
    SimTime::from_millis(m)
}

/// A tiny deterministic LCG (Knuth's MMIX constants), independent of the
/// crate's own random streams.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

fn config(algorithm: Algorithm, burst: SimTime, otpm: OtpmAccounting) -> LimiterConfig {
    LimiterConfig {
        algorithm,
        burst: ratesim::model::Bursts::uniform(burst),
        otpm_accounting: otpm,
        ..LimiterConfig::default()
    }
}

fn limits(rpm: Option<u64>, itpm: Option<u64>, otpm: Option<u64>, conc: Option<u64>) -> PoolLimits {
    PoolLimits {
        rpm,
        itpm,
        otpm,
        max_concurrent: conc,
        ..PoolLimits::default()
    }
}

/// A demand that finishes instantly (no output, nothing in flight later).
fn instant(itpm: u64, now: SimTime) -> Demand {
    Demand {
        itpm_tokens: itpm,
        max_tokens: 1,
        output_estimate: 1,
        output_tokens: 0,
        generation_start: now,
        finish: now,
    }
}

/// Checks and, if admitted, admits. Returns the verdict.
fn offer(pool: &mut Pool, now: SimTime, d: &Demand) -> Verdict {
    let v = pool.check(now, d);
    if v == Verdict::Admit {
        pool.admit(now, d);
    }
    v
}

// ---------------------------------------------------------------------------
// Token bucket: capacity at once, then exactly the refill rate.
// ---------------------------------------------------------------------------

#[test]
fn token_bucket_admits_capacity_then_exactly_the_refill_rate() {
    // 50 RPM, one request every millisecond for 100 simulated minutes
    // (t = 0, 1 ms, ..., 100 min inclusive). The bucket starts full with 50
    // tokens and gains one token every 1.2 s = 1200 ms, a whole number of
    // milliseconds, so every refilled token is taken the instant it appears:
    // admitted = 50 + 50 · 100 = 5050, exactly.
    let mut b = TokenBucket::new(50, SimTime(MIN));
    let mut admitted = 0u64;
    let end_ms = 100 * 60 * 1000;
    for t in 0..=end_ms {
        let now = ms(t);
        if b.fits(now, SCALE) {
            b.debit(now, SCALE);
            admitted += 1;
        }
    }
    assert_eq!(admitted, 50 + 50 * 100);
}

#[test]
fn pool_rpm_admits_capacity_plus_rate_for_a_bucket_and_limit_per_minute_for_windows() {
    // Same workload through a Pool (100 ms steps: 1.2 s is still a whole
    // number of steps), for each algorithm, over 0..=100 min.
    //   token bucket:   50 at t=0, then one per 1.2 s        -> 50 + 5000
    //   sliding window: 50 in each of the 100 windows [k min, k min + 4.9 s]
    //                   plus the first request at exactly 100 min, when the
    //                   debit from 99 min leaves the window  -> 5000 + 1
    //   fixed window:   50 in each calendar minute 0..=99 plus one at the
    //                   start of minute 100                 -> 5000 + 1
    let expected = [
        (Algorithm::TokenBucket, 5050),
        (Algorithm::SlidingWindow, 5001),
        (Algorithm::FixedWindow, 5001),
    ];
    for (alg, want) in expected {
        let mut pool = Pool::new(
            limits(Some(50), None, None, None),
            config(alg, SimTime(MIN), OtpmAccounting::Realtime),
        );
        let mut admitted = 0u64;
        for step in 0..=(100 * 60 * 10) {
            let now = ms(step * 100);
            if offer(&mut pool, now, &instant(0, now)) == Verdict::Admit {
                admitted += 1;
            }
        }
        assert_eq!(admitted, want, "{}", alg.name());
    }
}

#[test]
fn burst_option_sets_the_bucket_capacity() {
    // burst 6 s at 50 RPM holds 50 · 6/60 = 5 requests.
    let mut pool = Pool::new(
        limits(Some(50), None, None, None),
        config(Algorithm::TokenBucket, secs(6), OtpmAccounting::Realtime),
    );
    let n = (0..20)
        .filter(|_| offer(&mut pool, SimTime::ZERO, &instant(0, SimTime::ZERO)) == Verdict::Admit)
        .count();
    assert_eq!(n, 5);
}

// ---------------------------------------------------------------------------
// Arrival-curve invariant (token bucket) and window invariants.
// ---------------------------------------------------------------------------

/// Reference model of a token bucket of capacity `cap_scaled` refilled at
/// `limit` scaled units per ns: a request of `x` tokens is admissible at `t`
/// iff for every earlier admission time `a` (and `a = t`),
/// `A[a, t] + x ≤ cap + rate·(t − a)`, where `A[a, t]` is what was admitted
/// in `[a, t]`. All in exact integers.
fn curve_admits(
    admitted: &[(SimTime, u64)],
    limit: u64,
    cap_scaled: i128,
    t: SimTime,
    x: u64,
) -> bool {
    let x_scaled = x as i128 * SCALE;
    if x_scaled > cap_scaled {
        return false;
    }
    let mut sum: i128 = x_scaled;
    for &(a, size) in admitted.iter().rev() {
        sum += size as i128 * SCALE;
        let allowance = cap_scaled + limit as i128 * (t.as_nanos() - a.as_nanos()) as i128;
        if sum > allowance {
            return false;
        }
    }
    true
}

#[test]
fn token_bucket_obeys_the_arrival_curve_and_is_work_conserving() {
    const LIMIT: u64 = 30_000;
    // (burst, largest gap, largest request): each offers about twice the limit.
    for (burst_s, max_gap_ms, max_size, seed) in
        [(60, 4000, 3000, 1), (10, 4000, 3000, 2), (1, 400, 300, 3)]
    {
        let burst = secs(burst_s);
        let cap_scaled = LIMIT as i128 * burst.as_nanos() as i128;
        let mut pool = Pool::new(
            limits(None, Some(LIMIT), None, None),
            config(Algorithm::TokenBucket, burst, OtpmAccounting::Realtime),
        );
        let mut rng = Lcg(seed);
        let mut t = SimTime::ZERO;
        let mut admitted: Vec<(SimTime, u64)> = Vec::new();
        let mut rejected = 0;
        while admitted.len() < 300 {
            // One gap in four is zero: simultaneous arrivals.
            let gap_ms = rng.range(0, max_gap_ms) * rng.range(0, 3).min(1);
            t = t + ms(gap_ms) + SimTime(rng.range(0, 999));
            let size = rng.range(1, max_size);
            let want = curve_admits(&admitted, LIMIT, cap_scaled, t, size);
            let got = offer(&mut pool, t, &instant(size, t));
            assert_eq!(
                got == Verdict::Admit,
                want,
                "burst {burst_s}s: request #{} of {size} at {t}: pool said {got:?}",
                admitted.len() + rejected
            );
            if want {
                admitted.push((t, size));
            } else {
                rejected += 1;
            }
        }
        assert!(
            rejected > 50,
            "the load must actually be limited ({rejected} rejections)"
        );
        // The invariant itself, for every pair a ≤ b of admission times.
        let mut max_slack_used = f64::MIN;
        for i in 0..admitted.len() {
            let a = admitted[i].0;
            let mut sum: i128 = 0;
            for &(b, size) in &admitted[i..] {
                sum += size as i128 * SCALE;
                let allowance = cap_scaled + LIMIT as i128 * (b.as_nanos() - a.as_nanos()) as i128;
                assert!(
                    sum <= allowance,
                    "burst {burst_s}s: [{a}, {b}] admitted too much"
                );
                max_slack_used = max_slack_used.max(sum as f64 / allowance as f64);
            }
        }
        // And it is tight: some interval uses nearly all of its allowance.
        assert!(max_slack_used > 0.9, "burst {burst_s}s: {max_slack_used}");
    }
}

#[test]
fn sliding_window_never_admits_more_than_the_limit_in_any_minute() {
    const LIMIT: u64 = 20_000;
    let mut pool = Pool::new(
        limits(Some(40), Some(LIMIT), None, None),
        config(
            Algorithm::SlidingWindow,
            SimTime(MIN),
            OtpmAccounting::Realtime,
        ),
    );
    let mut rng = Lcg(7);
    let mut t = SimTime::ZERO;
    let mut admitted: Vec<(SimTime, u64)> = Vec::new();
    let mut offered = 0;
    while admitted.len() < 300 && offered < 5000 {
        offered += 1;
        t = t + SimTime(rng.range(0, 3000) * 1_000_000);
        let size = rng.range(1, 2500);
        // Reference: admissible iff what is in (t − 60 s, t] plus this fits
        // both the token limit and the 40-request limit.
        let in_window: Vec<u64> = admitted
            .iter()
            .filter(|(a, _)| a.as_nanos() + MIN > t.as_nanos())
            .map(|&(_, s)| s)
            .collect();
        let want = in_window.iter().sum::<u64>() + size <= LIMIT && in_window.len() < 40;
        let got = offer(&mut pool, t, &instant(size, t));
        assert_eq!(
            got == Verdict::Admit,
            want,
            "request of {size} at {t}: {got:?}"
        );
        if want {
            admitted.push((t, size));
        }
    }
    assert!(
        offered - admitted.len() > 50,
        "the load must actually be limited"
    );
    let mut fullest = 0;
    for &(a, _) in &admitted {
        let window: u64 = admitted
            .iter()
            .filter(|(b, _)| *b >= a && b.as_nanos() < a.as_nanos() + MIN)
            .map(|&(_, s)| s)
            .sum();
        assert!(window <= LIMIT, "[{a}, {a}+60s) holds {window} > {LIMIT}");
        fullest = fullest.max(window);
    }
    assert!(fullest > LIMIT * 9 / 10, "fullest window only {fullest}");
}

#[test]
fn fixed_window_resets_exactly_on_the_minute() {
    let mut pool = Pool::new(
        limits(Some(5), None, None, None),
        config(
            Algorithm::FixedWindow,
            SimTime(MIN),
            OtpmAccounting::Realtime,
        ),
    );
    for i in 0..5 {
        let now = secs(10 + i);
        assert_eq!(offer(&mut pool, now, &instant(0, now)), Verdict::Admit);
    }
    let almost = SimTime(60 * SEC - 1_000_000); // 59.999 s
    assert_eq!(
        offer(&mut pool, almost, &instant(0, almost)),
        Verdict::Reject {
            dimension: Dimension::Rpm,
            fits_at: secs(60)
        }
    );
    let h = pool.headers(almost).requests.unwrap();
    assert_eq!((h.limit, h.remaining, h.reset), (5, 0, secs(60)));
    let last_ns = SimTime(60 * SEC - 1);
    assert_ne!(
        offer(&mut pool, last_ns, &instant(0, last_ns)),
        Verdict::Admit
    );
    // A fresh minute: all five again, then full until 120 s.
    for _ in 0..5 {
        assert_eq!(
            offer(&mut pool, secs(60), &instant(0, secs(60))),
            Verdict::Admit
        );
    }
    assert_eq!(
        offer(&mut pool, secs(60), &instant(0, secs(60))),
        Verdict::Reject {
            dimension: Dimension::Rpm,
            fits_at: secs(120)
        }
    );
}

// ---------------------------------------------------------------------------
// A 429 deducts nothing.
// ---------------------------------------------------------------------------

#[test]
fn a_rejection_deducts_nothing() {
    for alg in [
        Algorithm::TokenBucket,
        Algorithm::SlidingWindow,
        Algorithm::FixedWindow,
    ] {
        let mut pool = Pool::new(
            limits(Some(50), Some(30_000), Some(8_000), Some(10)),
            config(alg, SimTime(MIN), OtpmAccounting::ReserveMaxTokens),
        );
        let t0 = secs(1);
        let big = Demand {
            itpm_tokens: 25_000,
            max_tokens: 3_000,
            output_estimate: 3_000,
            output_tokens: 3_000,
            generation_start: t0,
            finish: t0,
        };
        assert_eq!(offer(&mut pool, t0, &big), Verdict::Admit);
        let before = pool.headers(t0);
        // 10,000 input tokens do not fit the 5,000 left; reject it 100 times.
        let too_big = Demand {
            itpm_tokens: 10_000,
            ..big
        };
        for _ in 0..100 {
            assert!(
                matches!(
                    pool.check(t0, &too_big),
                    Verdict::Reject {
                        dimension: Dimension::Itpm,
                        ..
                    }
                ),
                "{}",
                alg.name()
            );
        }
        let after = pool.headers(t0);
        assert_eq!(before, after, "{}", alg.name());
        assert_eq!(after.requests.unwrap().remaining, 49);
        assert_eq!(after.input_tokens.unwrap().remaining, 5_000);
        assert_eq!(after.output_tokens.unwrap().remaining, 5_000);
        // Exactly what was left is still admitted at the same instant.
        let exact = Demand {
            itpm_tokens: 5_000,
            max_tokens: 5_000,
            output_estimate: 5_000,
            ..big
        };
        assert_eq!(
            offer(&mut pool, t0, &exact),
            Verdict::Admit,
            "{}",
            alg.name()
        );
        assert_eq!(pool.headers(t0).input_tokens.unwrap().remaining, 0);
    }
}

// ---------------------------------------------------------------------------
// Provider: cache reads and ITPM, retry-after, too-large requests.
// ---------------------------------------------------------------------------

fn provider(counts_cache_reads: bool, pool_limits: PoolLimits, limiter: LimiterConfig) -> Provider {
    let info = find_model("claude-sonnet-4-5").unwrap();
    let cfg = ProviderConfig {
        long_context_pools: Vec::new(),
        models: vec![ModelSpec {
            id: "test-model".to_string(),
            pool: 0,
            prices: info.prices,
            itpm_counts_cache_reads: counts_cache_reads,
            latency: Latency {
                ttft: secs(1),
                output_tokens_per_s: 100.0,
            },
            min_cacheable_tokens: 1024,
            long_context: None,
        }],
        pools: vec![("test-pool".to_string(), pool_limits)],
        limiter,
        network_rtt: ms(50),
        overload: Overload::default(),
        workspaces: Vec::new(),
        acceleration: None,
        batch: None,
        spend: None,
    };
    Provider::new(cfg, ratesim::sim::seed::stream(1, "test/overload"))
}

fn attempt(input: u64, cache_read: u64, max_tokens: u64, output: u64) -> Attempt {
    Attempt {
        model: 0,
        input_tokens: input,
        cache_read_tokens: cache_read,
        cache_write_tokens: 0,
        prefix: None,
        max_tokens,
        output_tokens: output,
        service_factor: 1.0,
        workspace: None,
    }
}

fn tier1() -> PoolLimits {
    limits(Some(50), Some(30_000), Some(8_000), None)
}

#[test]
fn cache_reads_do_not_count_toward_itpm_unless_the_model_says_so() {
    let a = attempt(1_000, 100_000, 500, 100);

    let mut p = provider(false, tier1(), LimiterConfig::default());
    let r = p.handle(SimTime::ZERO, &a);
    assert_eq!(r.status, Status::Ok);
    let usage = r.usage.unwrap();
    assert_eq!(usage.cache_read_input_tokens, 100_000);
    assert_eq!(usage.input_tokens, 1_000);
    // Only the 1,000 uncached tokens were charged: 29,000 left.
    assert_eq!(r.headers.unwrap().input_tokens.unwrap().remaining, 29_000);
    // TTFT 1 s + 100 tokens at 100/s + 50 ms RTT.
    assert_eq!(r.received_at, SimTime(2 * SEC + 50_000_000));

    let mut p = provider(true, tier1(), LimiterConfig::default());
    let r = p.handle(SimTime::ZERO, &a);
    assert!(
        matches!(
            r.status,
            Status::TooLarge(Dimension::Itpm) | Status::RateLimited(Dimension::Itpm)
        ),
        "{:?}",
        r.status
    );
    assert!(r.usage.is_none());
    assert_eq!(
        r.headers.unwrap().input_tokens.unwrap().remaining,
        30_000,
        "nothing charged"
    );

    // A cache read that fits the capacity but not what is left is a 429.
    let mut p = provider(true, tier1(), LimiterConfig::default());
    assert_eq!(
        p.handle(SimTime::ZERO, &attempt(20_000, 0, 100, 10)).status,
        Status::Ok
    );
    let r = p.handle(SimTime::ZERO, &attempt(1_000, 15_000, 100, 10));
    assert_eq!(r.status, Status::RateLimited(Dimension::Itpm));
    // Needs 16,000 with 10,000 left at 500/s: 12 s.
    assert_eq!(r.retry_after_s, Some(12));
}

#[test]
fn reserve_max_tokens_charges_max_tokens_then_refunds_the_unused_part_at_finish() {
    // 60,000 OTPM refills exactly 1,000 tokens per second.
    let mut pool = Pool::new(
        limits(None, None, Some(60_000), None),
        config(
            Algorithm::TokenBucket,
            SimTime(MIN),
            OtpmAccounting::ReserveMaxTokens,
        ),
    );
    let d = Demand {
        itpm_tokens: 0,
        max_tokens: 40_000,
        output_estimate: 40_000,
        output_tokens: 10_000,
        generation_start: secs(1),
        finish: secs(5),
    };
    let otpm = |pool: &mut Pool, t: SimTime| pool.headers(t).output_tokens.unwrap().remaining;
    assert_eq!(otpm(&mut pool, SimTime::ZERO), 60_000);
    assert_eq!(offer(&mut pool, SimTime::ZERO, &d), Verdict::Admit);
    // All 40,000 charged at admission.
    assert_eq!(otpm(&mut pool, SimTime::ZERO), 20_000);
    // 4 s later: 20,000 + 4,000 refill.
    assert_eq!(otpm(&mut pool, secs(4)), 24_000);
    // While reserved, another 30,000 max_tokens cannot go in; with the
    // refund due at 5 s it fits then (25,000 + 30,000 ≥ 30,000), not at 10 s
    // as the refill alone would give.
    assert_eq!(
        pool.check(
            secs(4),
            &Demand {
                max_tokens: 30_000,
                output_estimate: 30_000,
                output_tokens: 0,
                finish: secs(20),
                ..d
            }
        ),
        Verdict::Reject {
            dimension: Dimension::Otpm,
            fits_at: secs(5)
        }
    );
    // At finish the unused 30,000 come back: 20,000 + 5,000 + 30,000.
    assert_eq!(otpm(&mut pool, secs(5)), 55_000);
    assert_eq!(otpm(&mut pool, secs(10)), 60_000, "capped at capacity");
}

#[test]
fn realtime_otpm_debits_output_gradually_while_generating() {
    // 60,000 OTPM (1,000/s refill); a 30,000-token response generated from
    // 2 s to 12 s drains 3,000/s, so the net level falls by 2,000/s.
    let mut pool = Pool::new(
        limits(None, None, Some(60_000), None),
        config(
            Algorithm::TokenBucket,
            SimTime(MIN),
            OtpmAccounting::Realtime,
        ),
    );
    let d = Demand {
        itpm_tokens: 0,
        max_tokens: 32_000,
        output_estimate: 32_000,
        output_tokens: 30_000,
        generation_start: secs(2),
        finish: secs(12),
    };
    let otpm = |pool: &mut Pool, t: SimTime| pool.headers(t).output_tokens.unwrap().remaining;
    assert_eq!(offer(&mut pool, SimTime::ZERO, &d), Verdict::Admit);
    assert_eq!(
        otpm(&mut pool, SimTime::ZERO),
        60_000,
        "nothing charged at admission"
    );
    assert_eq!(
        otpm(&mut pool, secs(2)),
        60_000,
        "nothing before the first token"
    );
    // Halfway: 15,000 generated, 5,000 refilled.
    assert_eq!(otpm(&mut pool, secs(7)), 60_000 - 15_000 + 5_000);
    // At the end: all 30,000 debited, 10,000 refilled.
    assert_eq!(otpm(&mut pool, secs(12)), 40_000);
    // Afterwards only the refill.
    assert_eq!(otpm(&mut pool, secs(22)), 50_000);
}

#[test]
fn realtime_otpm_admits_while_positive_and_may_go_negative() {
    // 6,000 OTPM (100/s). A 6,000-token response over 10 s drains 600/s;
    // two of them started together drive the bucket below zero.
    let mut pool = Pool::new(
        limits(None, None, Some(6_000), None),
        config(
            Algorithm::TokenBucket,
            SimTime(MIN),
            OtpmAccounting::Realtime,
        ),
    );
    let d = Demand {
        itpm_tokens: 0,
        max_tokens: 6_000,
        output_estimate: 6_000,
        output_tokens: 6_000,
        generation_start: SimTime::ZERO,
        finish: secs(10),
    };
    assert_eq!(offer(&mut pool, SimTime::ZERO, &d), Verdict::Admit);
    assert_eq!(offer(&mut pool, SimTime::ZERO, &d), Verdict::Admit);
    // Net −1,100/s: empty at 6000/1100 s ≈ 5.45 s, then negative until 10 s
    // (level −5,000), then +100/s: positive again after 50 s, at t = 60 s.
    match pool.check(secs(6), &d) {
        Verdict::Reject { dimension, fits_at } => {
            assert_eq!(dimension, Dimension::Otpm);
            // Level at 10 s: 6000 − 12000 + 1000 = −5000 tokens; it must
            // climb above zero (at least one scaled unit, 1/SCALE token) at
            // 100 tokens/s = 6000 units/ns: 50 s and one more nanosecond.
            assert_eq!(fits_at, SimTime(60 * SEC + 1));
        }
        v => panic!("expected a rejection, got {v:?}"),
    }
}

#[test]
fn retry_after_is_the_true_wait_on_the_pool() {
    // Hand-worked: 30,000 ITPM emptied at 0; 6,000 more need 12 s at 500/s.
    let mut pool = Pool::new(
        limits(Some(50), Some(30_000), None, None),
        config(
            Algorithm::TokenBucket,
            SimTime(MIN),
            OtpmAccounting::Realtime,
        ),
    );
    assert_eq!(
        offer(&mut pool, SimTime::ZERO, &instant(30_000, SimTime::ZERO)),
        Verdict::Admit
    );
    let d = instant(6_000, secs(1));
    let v = pool.check(secs(1), &d);
    assert_eq!(
        v,
        Verdict::Reject {
            dimension: Dimension::Itpm,
            fits_at: secs(12)
        }
    );
    assert_ne!(pool.check(SimTime(12 * SEC - 1), &d), Verdict::Admit);
    assert_eq!(pool.check(secs(12), &d), Verdict::Admit);
}

/// Random traffic on every dimension, algorithm and OTPM rule: after every
/// rejection, the same demand on an otherwise idle copy of the pool is still
/// rejected 1 ns before `fits_at` and admitted at `fits_at`.
#[test]
fn fits_at_is_exactly_the_earliest_admission_time() {
    let algs = [
        Algorithm::TokenBucket,
        Algorithm::SlidingWindow,
        Algorithm::FixedWindow,
    ];
    let accts = [OtpmAccounting::Realtime, OtpmAccounting::ReserveMaxTokens];
    let mut checked = 0;
    let mut by_dim = [0u32; Dimension::ALL.len()];
    for (k, (alg, acct)) in algs
        .iter()
        .flat_map(|a| accts.iter().map(move |o| (*a, *o)))
        .enumerate()
    {
        let mut pool = Pool::new(
            limits(Some(30), Some(20_000), Some(6_000), Some(6)),
            config(alg, secs(30), acct),
        );
        let mut rng = Lcg(100 + k as u64);
        let mut t = SimTime::ZERO;
        for _ in 0..400 {
            t = t + SimTime(rng.range(0, 2000) * 1_000_000 + rng.range(0, 999));
            // Mostly small requests (so RPM and concurrency bind too), with
            // occasional large ones (so the token limits bind).
            let large = rng.range(0, 3) == 0;
            let max_tokens = if large {
                rng.range(100, 2_500)
            } else {
                rng.range(1, 200)
            };
            let itpm = if large {
                rng.range(0, 4_000)
            } else {
                rng.range(0, 300)
            };
            let start = t + SimTime(rng.range(0, 3000) * 1_000_000);
            let d = Demand {
                itpm_tokens: itpm,
                max_tokens,
                output_estimate: max_tokens,
                output_tokens: rng.range(0, max_tokens),
                generation_start: start,
                finish: start + SimTime(rng.range(0, 8_000) * 1_000_000 + rng.range(0, 999)),
            };
            match pool.check(t, &d) {
                Verdict::Admit => pool.admit(t, &d),
                Verdict::Never { dimension } => panic!("{d:?} never fits {dimension:?}"),
                Verdict::Reject { dimension, fits_at } => {
                    assert!(fits_at > t);
                    by_dim[dimension.index()] += 1;
                    let mut idle = pool.clone();
                    let before = SimTime(fits_at.as_nanos() - 1);
                    assert_ne!(
                        idle.check(before, &d),
                        Verdict::Admit,
                        "{} {acct:?}: admitted 1 ns before fits_at {fits_at} (rejected at {t} by {dimension:?})",
                        alg.name()
                    );
                    assert_eq!(
                        idle.check(fits_at, &d),
                        Verdict::Admit,
                        "{} {acct:?}: not admitted at fits_at {fits_at} (rejected at {t} by {dimension:?})",
                        alg.name()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} rejections checked");
    for d in [
        Dimension::Rpm,
        Dimension::Itpm,
        Dimension::Otpm,
        Dimension::Concurrency,
    ] {
        assert!(by_dim[d.index()] > 0, "no rejection by {d:?}");
    }
}

/// Regression: a level under a net drain falls while another dimension
/// refills, so "each dimension fits on its own by `c`" does not mean the
/// request fits at `c`.
#[test]
fn fits_at_accounts_for_realtime_output_draining_while_rpm_refills() {
    // A 10 s burst. RPM 6: capacity one request, one more every 10 s.
    // OTPM 1,200: 20 tokens/s, capacity 200. Request A streams 6,000 tokens
    // from 0 to 20 s (300/s, net −280/s): OTPM is 60 at 0.5 s, −2,600 at
    // 10 s, −5,400 at 20 s, and back above zero 270 s later (at 20 tokens/s,
    // plus one nanosecond for the first scaled unit): 290 s + 1 ns.
    let mut pool = Pool::new(
        limits(Some(6), None, Some(1_200), None),
        config(Algorithm::TokenBucket, secs(10), OtpmAccounting::Realtime),
    );
    let a = Demand {
        itpm_tokens: 0,
        max_tokens: 6_000,
        output_estimate: 6_000,
        output_tokens: 6_000,
        generation_start: SimTime::ZERO,
        finish: secs(20),
    };
    assert_eq!(offer(&mut pool, SimTime::ZERO, &a), Verdict::Admit);
    let b = instant(0, ms(500));
    // At 0.5 s OTPM is still positive but RPM is empty; RPM alone
    // would fit at 10 s, when OTPM is already negative.
    let want = SimTime(290 * SEC + 1);
    assert_eq!(
        pool.check(ms(500), &b),
        Verdict::Reject {
            dimension: Dimension::Rpm,
            fits_at: want
        }
    );
    assert!(matches!(
        pool.clone().check(secs(10), &b),
        Verdict::Reject {
            dimension: Dimension::Otpm,
            ..
        }
    ));
    assert_ne!(pool.clone().check(SimTime(290 * SEC), &b), Verdict::Admit);
    assert_eq!(pool.check(want, &b), Verdict::Admit);
}

#[test]
fn provider_retry_after_is_the_wait_rounded_up_to_whole_seconds() {
    // 50 RPM emptied at t = 0; the next token appears at 1.2 s.
    let mut p = provider(false, tier1(), LimiterConfig::default());
    for _ in 0..50 {
        assert_eq!(
            p.handle(SimTime::ZERO, &attempt(10, 0, 10, 1)).status,
            Status::Ok
        );
    }
    let cases = [
        (SimTime::ZERO, 2),              // wait 1.2 s -> 2
        (ms(200), 1),                    // wait 1.0 s -> 1
        (ms(199), 2),                    // wait 1.001 s -> 2
        (ms(1_100), 1),                  // wait 0.1 s -> 1 (never 0)
        (SimTime(1_200_000_000 - 1), 1), // wait 1 ns -> 1
    ];
    for (now, want) in cases {
        let r = p.handle(now, &attempt(10, 0, 10, 1));
        assert_eq!(r.status, Status::RateLimited(Dimension::Rpm), "at {now}");
        assert_eq!(r.retry_after_s, Some(want), "at {now}");
        assert!(r.should_retry);
        assert_eq!(r.received_at, now + ms(50), "a 429 costs one round trip");
    }
    assert_eq!(
        p.handle(ms(1_200), &attempt(10, 0, 10, 1)).status,
        Status::Ok
    );
}

#[test]
fn requests_larger_than_capacity_can_never_be_admitted() {
    // Token bucket, burst 60 s: capacity = limit.
    let mut pool = Pool::new(
        limits(Some(50), Some(30_000), Some(8_000), None),
        config(
            Algorithm::TokenBucket,
            SimTime(MIN),
            OtpmAccounting::ReserveMaxTokens,
        ),
    );
    assert_eq!(
        pool.check(SimTime::ZERO, &instant(30_001, SimTime::ZERO)),
        Verdict::Never {
            dimension: Dimension::Itpm
        }
    );
    assert_eq!(
        pool.check(SimTime::ZERO, &instant(30_000, SimTime::ZERO)),
        Verdict::Admit
    );
    let huge_max = Demand {
        max_tokens: 8_001,
        output_estimate: 8_001,
        ..instant(10, SimTime::ZERO)
    };
    assert_eq!(
        pool.check(SimTime::ZERO, &huge_max),
        Verdict::Never {
            dimension: Dimension::Otpm
        }
    );
    // Burst 10 s: capacity is 30,000 · 10/60 = 5,000 even though the
    // per-minute limit is 30,000, and it stays "never" after a long idle.
    let mut pool = Pool::new(
        limits(None, Some(30_000), None, None),
        config(Algorithm::TokenBucket, secs(10), OtpmAccounting::Realtime),
    );
    let t = secs(3600);
    assert_eq!(pool.check(t, &instant(5_000, t)), Verdict::Admit);
    assert_eq!(
        pool.check(t, &instant(5_001, t)),
        Verdict::Never {
            dimension: Dimension::Itpm
        }
    );
    // Windows: the limit itself.
    for alg in [Algorithm::SlidingWindow, Algorithm::FixedWindow] {
        let mut pool = Pool::new(
            limits(None, Some(30_000), None, None),
            config(alg, SimTime(MIN), OtpmAccounting::Realtime),
        );
        assert_eq!(
            pool.check(SimTime::ZERO, &instant(30_001, SimTime::ZERO)),
            Verdict::Never {
                dimension: Dimension::Itpm
            },
            "{}",
            alg.name()
        );
    }
    // Through the provider, by default: a 429 naming ITPM, as the real API
    // answers ("This request would exceed the rate limit for your
    // organization ... of 30,000 input tokens per minute"), flagged as
    // oversized. Its retry-after is the time to a full bucket: 1 s (the
    // minimum) while the bucket is full, 30 s after half of it was used.
    let mut p = provider(false, tier1(), LimiterConfig::default());
    let r = p.handle(SimTime::ZERO, &attempt(40_000, 0, 100, 10));
    assert_eq!(r.status, Status::RateLimited(Dimension::Itpm));
    assert!(r.should_retry && r.oversized);
    assert_eq!(r.retry_after_s, Some(1));
    assert_eq!(
        p.handle(SimTime::ZERO, &attempt(15_000, 0, 100, 10)).status,
        Status::Ok
    );
    let r = p.handle(SimTime::ZERO, &attempt(40_000, 0, 100, 10));
    assert_eq!((r.retry_after_s, r.oversized), (Some(30), true));
    // The documented alternative: a non-retryable error without retry-after.
    let too_large = LimiterConfig {
        oversized: Oversized::TooLarge,
        ..LimiterConfig::default()
    };
    let mut p = provider(false, tier1(), too_large);
    let r = p.handle(SimTime::ZERO, &attempt(40_000, 0, 100, 10));
    assert_eq!(r.status, Status::TooLarge(Dimension::Itpm));
    assert!(!r.should_retry && !r.oversized);
    assert_eq!(r.retry_after_s, None);
}

#[test]
fn max_concurrent_rejects_the_extra_request_until_the_first_finishes() {
    let n = 3;
    let mut pool = Pool::new(
        limits(Some(1_000), None, None, Some(n)),
        config(
            Algorithm::TokenBucket,
            SimTime(MIN),
            OtpmAccounting::Realtime,
        ),
    );
    let long = |finish: SimTime| Demand {
        itpm_tokens: 0,
        max_tokens: 100,
        output_estimate: 100,
        output_tokens: 100,
        generation_start: SimTime::ZERO,
        finish,
    };
    for i in 0..n {
        assert_eq!(
            offer(&mut pool, SimTime::ZERO, &long(secs(10 + i))),
            Verdict::Admit
        );
    }
    assert_eq!(pool.in_flight(SimTime::ZERO), n);
    let extra = long(secs(100));
    assert_eq!(
        pool.check(secs(1), &extra),
        Verdict::Reject {
            dimension: Dimension::Concurrency,
            fits_at: secs(10)
        }
    );
    assert_ne!(pool.check(SimTime(10 * SEC - 1), &extra), Verdict::Admit);
    assert_eq!(pool.in_flight(secs(10)), n - 1);
    assert_eq!(offer(&mut pool, secs(10), &extra), Verdict::Admit);
    assert_eq!(pool.in_flight(secs(10)), n);

    // Through the provider: a 429 naming concurrency.
    let mut p = provider(
        false,
        limits(Some(1_000), None, None, Some(1)),
        LimiterConfig::default(),
    );
    // 1 s TTFT + 900 tokens at 100/s = 10 s.
    assert_eq!(
        p.handle(SimTime::ZERO, &attempt(10, 0, 900, 900)).status,
        Status::Ok
    );
    let r = p.handle(ms(500), &attempt(10, 0, 10, 1));
    assert_eq!(r.status, Status::RateLimited(Dimension::Concurrency));
    assert_eq!(r.retry_after_s, Some(10)); // 9.5 s rounded up
    assert_eq!(
        p.handle(secs(10), &attempt(10, 0, 10, 1)).status,
        Status::Ok
    );
}

#[test]
fn switching_headers_off_changes_nothing_but_the_headers() {
    let a = attempt(1_000, 0, 500, 100);
    let mut with = provider(false, tier1(), LimiterConfig::default());
    let mut without = provider(false, tier1(), LimiterConfig::default());
    without.send_rate_limit_headers(false);
    // Sixty back-to-back attempts: the first 50 admitted, then 429s.
    for i in 0..60u64 {
        let t = SimTime(i * 1_000_000);
        let (mut r1, r2) = (with.handle(t, &a), without.handle(t, &a));
        assert!(r1.headers.is_some() && r2.headers.is_none());
        r1.headers = None;
        assert_eq!(r1, r2, "attempt {i}");
    }
}

/// Regression: the earliest fit must see a level that falls by itself. ITPM
/// binds for ~0.7 s, but by then a fast response has driven OTPM negative,
/// and it stays so for over a minute.
#[test]
fn retry_after_waits_for_a_level_falling_under_its_own_drain() {
    let mut pool = Pool::new(
        limits(None, Some(450_000), Some(90_000), None),
        LimiterConfig::default(),
    );
    let ms = |n: u64| SimTime(n * 1_000_000);
    // 449,000 input tokens, then 200,000 output tokens streamed over 1 s
    // (OTPM refills only 1,500 a second).
    let big = Demand {
        itpm_tokens: 449_000,
        max_tokens: 200_000,
        output_estimate: 200_000,
        output_tokens: 200_000,
        generation_start: ms(1),
        finish: ms(1_001),
    };
    assert_eq!(pool.check(SimTime::ZERO, &big), Verdict::Admit);
    pool.admit(SimTime::ZERO, &big);
    // 6,000 input tokens: ITPM has 1,000 + 7,500/s, so ITPM alone fits at
    // ~0.67 s, when OTPM is already below zero (it crosses at ~0.45 s).
    let small = Demand {
        itpm_tokens: 6_000,
        max_tokens: 100,
        output_estimate: 100,
        output_tokens: 100,
        generation_start: ms(3),
        finish: ms(4),
    };
    let Verdict::Reject { fits_at, .. } = pool.check(ms(2), &small) else {
        panic!("expected a 429");
    };
    // OTPM was full until the stream began (refill beyond capacity is
    // lost), so after it: 90,000 - 200,000 + 1,500 * 1.000 = -108,500;
    // back above zero 108,500 / 1,500 s later.
    let expected = ms(1_001) + SimTime::from_secs_f64(108_500.0 / 1_500.0);
    assert!(
        fits_at.as_nanos().abs_diff(expected.as_nanos()) < 1_000,
        "fits_at {fits_at:?}, expected about {expected:?}"
    );
    let mut before = pool.clone();
    assert_ne!(
        before.check(SimTime(fits_at.as_nanos() - 1), &small),
        Verdict::Admit
    );
    assert_eq!(pool.check(fits_at, &small), Verdict::Admit);
}
