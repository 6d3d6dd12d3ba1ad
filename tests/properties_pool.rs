//! Pool properties over random traffic on every dimension, algorithm and
//! OTPM rule: remaining stays within bounds, a 429 changes nothing, the
//! reserve-`max_tokens` refund is exactly the unused part (never more), and
//! `fits_at` / `retry-after` are true waits.
//!
//! Every expectation comes from probing clones of the pool (no other
//! traffic) or from an independent reference, never from the pool's own
//! arithmetic. Fixed seed (ChaCha, no failure files): repeatable in CI.

mod common;

use proptest::prelude::*;
use ratesim::engine::SimTime;
use ratesim::model::catalog::find_model;
use ratesim::model::{
    Algorithm, Attempt, Demand, Latency, LimitHeader, LimiterConfig, ModelSpec, OtpmAccounting,
    Overload, Pool, PoolLimits, Provider, ProviderConfig, RateLimitHeaders, Status, Verdict,
};

const SEC: u64 = SimTime::NANOS_PER_SEC;
const MIN: u64 = SimTime::NANOS_PER_MIN;

const ALGORITHMS: [Algorithm; 3] = [
    Algorithm::TokenBucket,
    Algorithm::SlidingWindow,
    Algorithm::FixedWindow,
];
const ACCOUNTINGS: [OtpmAccounting; 2] =
    [OtpmAccounting::Realtime, OtpmAccounting::ReserveMaxTokens];

fn config(cases: u32) -> ProptestConfig {
    common::repeatable(cases, 0x9001_5eed)
}

fn gap() -> impl Strategy<Value = u64> {
    prop_oneof![
        2 => Just(0u64),
        4 => 0..2 * SEC,
        2 => 0..20 * SEC,
        1 => 0..90 * SEC,
    ]
}

/// One request: `(gap, itpm tokens, max_tokens, output ‰ of max, ttft ms,
/// generation ms)`.
type Req = (u64, u64, u64, u64, u64, u64);

fn request() -> impl Strategy<Value = Req> {
    (
        gap(),
        0..6_000u64,
        1..3_000u64,
        0..=1_000u64,
        0..3_000u64,
        prop_oneof![Just(0u64), 0..30_000u64],
    )
}

fn demand(now: u64, r: &Req) -> Demand {
    let &(_, itpm, max, permille, ttft_ms, gen_ms) = r;
    let start = now + ttft_ms * 1_000_000;
    Demand {
        itpm_tokens: itpm,
        max_tokens: max,
        output_estimate: max,
        output_tokens: max * permille / 1_000,
        generation_start: SimTime(start),
        finish: SimTime(start + gen_ms * 1_000_000),
    }
}

/// `(algorithm, accounting, burst s, limits)`.
fn pool_setup() -> impl Strategy<Value = (Algorithm, OtpmAccounting, u64, PoolLimits)> {
    (
        0..3usize,
        0..2usize,
        1..=90u64,
        prop::option::of(1..=30u64),
        prop::option::of(2_000..=30_000u64),
        prop::option::of(500..=8_000u64),
        prop::option::weighted(0.2, 3_000..=40_000u64),
        prop::option::weighted(0.3, 1..=5u64),
    )
        .prop_map(|(alg, acct, burst, rpm, itpm, otpm, tpm, conc)| {
            (
                ALGORITHMS[alg],
                ACCOUNTINGS[acct],
                burst,
                PoolLimits {
                    rpm,
                    itpm,
                    otpm,
                    tpm,
                    max_concurrent: conc,
                },
            )
        })
}

fn limiter(alg: Algorithm, acct: OtpmAccounting, burst_s: u64) -> LimiterConfig {
    LimiterConfig {
        algorithm: alg,
        burst: ratesim::model::Bursts::uniform(SimTime::from_secs(burst_s)),
        otpm_accounting: acct,
        ..LimiterConfig::default()
    }
}

/// Whole units an idle dimension holds.
fn cap(alg: Algorithm, burst_s: u64, limit: u64) -> u64 {
    match alg {
        Algorithm::TokenBucket => limit * burst_s / 60,
        _ => limit,
    }
}

fn admits(pool: &Pool, t: u64, d: &Demand) -> bool {
    pool.clone().check(SimTime(t), d) == Verdict::Admit
}

/// Remaining never exceeds what an idle dimension holds (token counts are
/// rounded to the nearest thousand, so up to 500 more): a negative level
/// wrapped into a `u64` would be far above it.
fn check_bounds(
    h: &RateLimitHeaders,
    alg: Algorithm,
    burst_s: u64,
    l: &PoolLimits,
) -> Result<(), TestCaseError> {
    let c = |x: Option<u64>| x.map_or(0, |x| cap(alg, burst_s, x));
    let checks: [(&str, Option<LimitHeader>, u64); 4] = [
        // A bucket always holds at least one request (the RPM floor).
        (
            "requests",
            h.requests,
            l.rpm.map_or(0, |x| cap(alg, burst_s, x).max(1)),
        ),
        ("input", h.input_tokens, c(l.itpm) + 500),
        ("output", h.output_tokens, c(l.otpm) + 500),
        (
            "tokens",
            h.tokens,
            if l.tpm.is_some() {
                c(l.tpm)
            } else {
                c(l.itpm) + c(l.otpm)
            } + 500,
        ),
    ];
    for (name, header, max) in checks {
        if let Some(x) = header {
            prop_assert!(
                x.remaining <= max,
                "{} remaining {} > {}",
                name,
                x.remaining,
                max
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(160))]

    /// Random check/admit traffic (finishes come due with time): remaining
    /// stays in bounds; a 429 or a never-fits verdict leaves the headers and
    /// in-flight count unchanged, now and later; and after a 429 the same
    /// request on an idle copy is refused at sampled times before `fits_at`
    /// and 1 ns before it, and admitted at `fits_at`.
    #[test]
    fn rejections_change_nothing_and_fits_at_is_the_earliest_admission(
        (alg, acct, burst_s, limits) in pool_setup(),
        reqs in prop::collection::vec(request(), 1..120),
    ) {
        let mut pool = Pool::new(limits, limiter(alg, acct, burst_s));
        let mut t = 0u64;
        for r in &reqs {
            t += r.0;
            let now = SimTime(t);
            let d = demand(t, r);
            let mut before = pool.clone();
            let h_before = before.headers(now);
            check_bounds(&h_before, alg, burst_s, &limits)?;
            let v = pool.check(now, &d);
            if v == Verdict::Admit {
                pool.admit(now, &d);
                check_bounds(&pool.headers(now), alg, burst_s, &limits)?;
                continue;
            }
            prop_assert_eq!(pool.headers(now), h_before, "a {:?} changed the headers", v);
            for later in [now + SimTime(1), now + SimTime(SEC), now + SimTime(MIN + 7)] {
                prop_assert_eq!(pool.clone().headers(later), before.clone().headers(later));
                prop_assert_eq!(pool.clone().in_flight(later), before.clone().in_flight(later));
            }
            if let Verdict::Reject { fits_at, .. } = v {
                let f = fits_at.as_nanos();
                prop_assert!(f > t, "rejected at {} yet fits at {}", t, f);
                prop_assert!(admits(&pool, f, &d), "not admitted at fits_at {}", f);
                prop_assert!(!admits(&pool, f - 1, &d), "admitted 1 ns before fits_at {}", f);
                for k in 0..32 {
                    let probe = t + (f - t) / 32 * k;
                    prop_assert!(!admits(&pool, probe, &d), "admitted at {} < fits_at {}", probe, f);
                }
            }
        }
    }
}

/// An independent model of one OTPM dimension under reserve-`max_tokens`
/// accounting: each admission charges `max_tokens`, and at its finish the
/// unused part (`max_tokens − output`) comes back.
struct ReserveReference {
    alg: Algorithm,
    limit: u64,
    burst_s: u64,
    /// `(admitted at, max_tokens, output, finish)`.
    admitted: Vec<(u64, u64, u64, u64)>,
}

impl ReserveReference {
    /// Whole tokens left at `t`.
    fn remaining(&self, t: u64) -> u64 {
        let charge = |&(_, max, out, fin): &(u64, u64, u64, u64)| if fin <= t { out } else { max };
        match self.alg {
            Algorithm::SlidingWindow => {
                let used: u64 = self
                    .admitted
                    .iter()
                    .filter(|a| a.0 + MIN > t)
                    .map(charge)
                    .sum();
                self.limit.saturating_sub(used)
            }
            Algorithm::FixedWindow => {
                let used: u64 = self
                    .admitted
                    .iter()
                    .filter(|a| a.0 / MIN == t / MIN)
                    .map(charge)
                    .sum();
                self.limit.saturating_sub(used)
            }
            Algorithm::TokenBucket => {
                // Level in tokens·60 s (refill: `limit` per ns), capped.
                // Events in time order; at one instant, refunds already due
                // apply before the next admission, and an admission's own
                // instant refund right after its charge.
                let full = self.limit as i128 * self.burst_s as i128 * SEC as i128;
                let mut events: Vec<(u64, u64, usize, i128)> = Vec::new();
                for (i, &(at, max, out, fin)) in self.admitted.iter().enumerate() {
                    events.push((at, 1, i, -((max * MIN) as i128)));
                    if fin <= t && max > out {
                        events.push((
                            fin.max(at),
                            if fin > at { 0 } else { 2 },
                            i,
                            ((max - out) * MIN) as i128,
                        ));
                    }
                }
                events.sort();
                let (mut level, mut last) = (full, 0u64);
                for (time, _, _, delta) in events {
                    level =
                        (level + self.limit as i128 * (time - last) as i128).min(full.max(level));
                    last = time;
                    level = (level + delta).min(full);
                }
                level = (level + self.limit as i128 * (t - last) as i128).min(full.max(level));
                (level.max(0) / MIN as i128) as u64
            }
        }
    }
}

/// OTPM tokens left at `t`, probed: the largest `max_tokens` a clone admits.
fn probe_otpm(pool: &Pool, t: u64, capacity: u64) -> u64 {
    let d = |k: u64| Demand {
        itpm_tokens: 0,
        max_tokens: k,
        output_estimate: k,
        output_tokens: 0,
        generation_start: SimTime(t),
        finish: SimTime(t),
    };
    let (mut lo, mut hi) = (0, capacity); // admits lo; answer in lo..=hi
    while lo < hi {
        let mid = (lo + hi).div_ceil(2);
        if admits(pool, t, &d(mid)) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    lo
}

proptest! {
    #![proptest_config(config(120))]

    /// Under reserve-`max_tokens`, OTPM left (probed on clones) equals the
    /// reference's at every arrival and after everything finished: the
    /// refund is exactly the unused part, never more than was charged.
    #[test]
    fn reserve_refund_is_exactly_the_unused_part(
        alg in (0..3usize).prop_map(|i| ALGORITHMS[i]),
        burst_s in 1..=90u64,
        limit in 3_000..=20_000u64,
        reqs in prop::collection::vec(request(), 1..80),
    ) {
        let limits = PoolLimits { otpm: Some(limit), ..PoolLimits::default() };
        let mut pool = Pool::new(limits, limiter(alg, OtpmAccounting::ReserveMaxTokens, burst_s));
        let capacity = cap(alg, burst_s, limit);
        let mut reference = ReserveReference { alg, limit, burst_s, admitted: Vec::new() };
        let mut t = 0u64;
        let mut last_finish = 0;
        for r in &reqs {
            t += r.0;
            let d = demand(t, r);
            prop_assert_eq!(probe_otpm(&pool, t, capacity), reference.remaining(t), "at {} ns", t);
            if pool.check(SimTime(t), &d) == Verdict::Admit {
                pool.admit(SimTime(t), &d);
                reference.admitted.push((t, d.max_tokens, d.output_tokens, d.finish.as_nanos()));
                last_finish = last_finish.max(d.finish.as_nanos());
            }
        }
        for end in [last_finish, last_finish + 1] {
            prop_assert_eq!(probe_otpm(&pool, end, capacity), reference.remaining(end), "at {} ns", end);
        }
    }
}

fn provider(limits: PoolLimits, config: LimiterConfig) -> Provider {
    let info = find_model("claude-sonnet-4-5").expect("catalogued");
    let cfg = ProviderConfig {
        long_context_pools: Vec::new(),
        models: vec![ModelSpec {
            id: "m".to_string(),
            pool: 0,
            prices: info.prices,
            itpm_counts_cache_reads: false,
            latency: Latency {
                ttft: SimTime::from_millis(400),
                output_tokens_per_s: 200.0,
            },
            min_cacheable_tokens: 1024,
            long_context: None,
        }],
        pools: vec![("p".to_string(), limits)],
        limiter: config,
        network_rtt: SimTime::from_millis(50),
        overload: Overload::default(),
        workspaces: Vec::new(),
        acceleration: None,
        batch: None,
        spend: None,
    };
    Provider::new(cfg, ratesim::sim::seed::stream(1, "prop/overload"))
}

proptest! {
    #![proptest_config(config(120))]

    /// A 429's `retry-after` (whole seconds) is the true wait rounded up:
    /// with no other traffic the same request is admitted at now + δ, and
    /// refused at now + δ − 1 s and at sampled earlier times, so the exact
    /// earliest admission lies in (now + δ − 1 s, now + δ].
    #[test]
    fn retry_after_is_the_true_wait_rounded_up_to_whole_seconds(
        (alg, acct, burst_s, limits) in pool_setup(),
        reqs in prop::collection::vec(request(), 1..100),
    ) {
        let mut p = provider(limits, limiter(alg, acct, burst_s));
        let mut t = 0u64;
        for r in &reqs {
            t += r.0;
            let d = demand(t, r);
            let a = Attempt {
                model: 0,
                input_tokens: d.itpm_tokens,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                prefix: None,
                max_tokens: d.max_tokens,
                output_tokens: d.output_tokens,
                service_factor: 1.0,
                workspace: None,
            };
            let resp = p.handle(SimTime(t), &a);
            let Status::RateLimited(_) = resp.status else {
                prop_assert_eq!(resp.retry_after_s, None);
                continue;
            };
            let delta = resp.retry_after_s.expect("a 429 carries retry-after");
            prop_assert!(delta >= 1);
            let pool = p.pool_mut(0).clone();
            if resp.oversized {
                // Larger than the bucket: no wait helps, as the pool says.
                prop_assert!(
                    matches!(pool.clone().check(SimTime(t), &d), Verdict::Never { .. }),
                    "an oversized 429 for a request that could fit"
                );
                continue;
            }
            let at = t + delta * SEC;
            prop_assert!(admits(&pool, at, &d), "not admitted at now + {} s", delta);
            let floor = at - SEC; // now + δ − 1 s
            prop_assert!(!admits(&pool, floor, &d), "already admitted at now + {} s − 1 s", delta);
            for k in 0..32 {
                let probe = t + (floor - t) / 32 * k;
                prop_assert!(!admits(&pool, probe, &d), "admitted at {} before now + δ − 1 s", probe);
            }
        }
    }
}
