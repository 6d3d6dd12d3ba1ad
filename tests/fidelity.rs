//! Model fidelity (issue 17): each documented rule, or the rule ratesim
//! chose where the docs are silent, against a hand-computed or documented
//! expectation.

mod common;

use common::sim::{named, run_strategy, scenario};
use ratesim::engine::SimTime;
use ratesim::metrics::RunMetrics;
use ratesim::model::{
    AdmitWhen, Bursts, CapacityFloor, Demand, Dimension, LimiterConfig, Pool, PoolLimits, Verdict,
};
use ratesim::report::{Outcome, Report, StrategyResult};
use ratesim::scenario::Scenario;

const SEC: u64 = SimTime::NANOS_PER_SEC;

fn run(s: &Scenario, name: &str) -> RunMetrics {
    run_strategy(s, named(s, name))
}

fn outcome(s: &Scenario, name: &str) -> Outcome {
    StrategyResult::new(s, named(s, name), &run(s, name)).total
}

fn demand(itpm: u64, max_tokens: u64, output: u64, start: SimTime, finish: SimTime) -> Demand {
    Demand {
        itpm_tokens: itpm,
        max_tokens,
        output_estimate: max_tokens,
        output_tokens: output,
        generation_start: start,
        finish,
    }
}

// ---------------------------------------------------------------------------
// Part 1: bursts per dimension, with capacity floors
// ---------------------------------------------------------------------------

fn tier1(rpm: u64, itpm: u64, otpm: u64) -> PoolLimits {
    PoolLimits {
        rpm: Some(rpm),
        itpm: Some(itpm),
        otpm: Some(otpm),
        ..PoolLimits::default()
    }
}

#[test]
fn one_second_rpm_burst_holds_one_request_and_refills_in_1_2_s() {
    // Tier 1: 50 RPM. `rpm: 1s` is 50/60 = 0.83 request: floored to one.
    // It refills at 50/60 per second, so the next fits 60/50 = 1.2 s later.
    let config = LimiterConfig {
        burst: Bursts {
            rpm: SimTime::from_secs(1),
            ..Bursts::MINUTE
        },
        ..LimiterConfig::default()
    };
    let mut pool = Pool::new(tier1(50, 30_000, 8_000), config);
    let t0 = SimTime::ZERO;
    let d = demand(2_000, 100, 100, t0, t0);
    assert_eq!(pool.check(t0, &d), Verdict::Admit);
    pool.admit(t0, &d);
    assert_eq!(
        pool.check(t0, &d),
        Verdict::Reject {
            dimension: Dimension::Rpm,
            fits_at: SimTime(1_200_000_000)
        }
    );
    // ITPM kept its minute: 30,000 tokens, so 14 more 2,000-token requests
    // would fit the input bucket.
    let h = pool.headers(t0);
    assert_eq!(h.input_tokens.unwrap().remaining, 28_000);
}

#[test]
fn token_floor_is_the_largest_request_but_never_more_than_a_minute() {
    // burst 1 s: ITPM 30,000 holds 500 tokens; the floor raises it to the
    // largest request (2,000), which then refills at 500/s: 4 s.
    let config = |floor| LimiterConfig {
        burst: Bursts::uniform(SimTime::from_secs(1)),
        floor: CapacityFloor {
            itpm: floor,
            ..CapacityFloor::default()
        },
        ..LimiterConfig::default()
    };
    let t0 = SimTime::ZERO;
    let mut pool = Pool::new(tier1(50, 30_000, 8_000), config(2_000));
    let d = demand(2_000, 100, 100, t0, t0);
    assert_eq!(pool.check(t0, &d), Verdict::Admit);
    pool.admit(t0, &d);
    assert_eq!(
        pool.check(SimTime::from_secs(2), &d),
        Verdict::Reject {
            dimension: Dimension::Itpm,
            fits_at: SimTime::from_secs(4)
        }
    );
    // A floor above the limit is capped at one minute's worth: 30,001
    // tokens can still never fit, 30,000 can.
    let mut pool = Pool::new(tier1(50, 30_000, 8_000), config(1_000_000));
    assert_eq!(
        pool.check(t0, &demand(30_001, 100, 100, t0, t0)),
        Verdict::Never {
            dimension: Dimension::Itpm
        }
    );
    assert_eq!(
        pool.check(t0, &demand(30_000, 100, 100, t0, t0)),
        Verdict::Admit
    );
}

/// Tier 1 Sonnet with 45 requests of 2,000 input tokens, one every 2 s
/// (constant arrivals start one interval in: at 2, 4, …, 90 s).
fn tier1_burst(burst: &str) -> Scenario {
    scenario(&format!(
        r#"
name: burst
duration: 91s
drain: 10m
tier: tier1
limiter: {{burst: {burst}}}
streams:
  - name: s
    model: claude-sonnet-4-5
    arrivals: {{constant: {{rate_per_min: 30}}}}
    input_tokens: 2000
    output_tokens: 100
strategies: [sdk_default]
"#
    ))
}

#[test]
fn tier_one_with_a_one_second_burst_no_longer_makes_every_request_too_large() {
    // Before the floors, 50 RPM × 1 s = 0.83 request of capacity: 45 of 45
    // requests ended as too_large with zero 429s.
    for burst in ["1s", "{rpm: 1s}", "{rpm: 1s, itpm: 1s, otpm: 1s}"] {
        let s = tier1_burst(burst);
        let t = outcome(&s, "sdk_default");
        assert_eq!(t.requests, 45, "{burst}");
        assert_eq!(t.failures.too_large, 0, "{burst}");
        assert!(t.succeeded > 0, "{burst}");
    }
    // With ITPM at 1 s (500 tokens/s refill, 2,000 per request every 2 s),
    // the input bucket cannot keep up: 429s appear, which a minute-long
    // ITPM bucket (the default for tokens) never shows at 60,000 tokens/min
    // offered against 30,000 only after its first 30,000 are spent.
    let one_s = outcome(&tier1_burst("1s"), "sdk_default");
    assert!(one_s.rate_limited.itpm > 0, "{:?}", one_s.rate_limited);
    assert_eq!(one_s.rate_limited.oversized, 0);
}

#[test]
fn per_dimension_burst_is_parsed_and_reported() {
    let s = tier1_burst("{rpm: 1s, itpm: 10s}");
    let b = s.sim.provider.limiter.burst;
    assert_eq!(b.rpm, SimTime::from_secs(1));
    assert_eq!(b.itpm, SimTime::from_secs(10));
    assert_eq!(b.otpm, SimTime::from_secs(60));
    assert_eq!(s.sim.provider.limiter.floor.itpm, 2_000);
    let report = Report::new(&s, Vec::new());
    let json = report.to_json();
    assert!(json.contains("\"burst_s_by_dimension\""), "{json}");
    assert!(
        report.assumptions[0].contains("rpm 1s, itpm 10s, otpm 60s"),
        "{}",
        report.assumptions[0]
    );
    let e = Scenario::from_yaml_str(
        "b.yaml",
        "name: b\nduration: 1m\nlimiter: {burst: {rpn: 1s}}\nstreams: [{name: s, model: claude-sonnet-4-5}]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("b.yaml:3:") && e.contains("rpn"), "{e}");
}

// ---------------------------------------------------------------------------
// Part 2: oversized requests
// ---------------------------------------------------------------------------

fn oversized(extra: &str) -> Scenario {
    scenario(&format!(
        r#"
name: oversized
duration: 10m
tier: tier1
{extra}
streams:
  - name: s
    model: claude-sonnet-4-5
    arrivals: {{constant: {{rate_per_min: 1}}}}
    input_tokens: 40000
    output_tokens: 100
strategies: [sdk_default, exponential_backoff]
"#
    ))
}

#[test]
fn an_oversized_request_is_a_429_that_retries_burn() {
    // 40,000 input tokens against tier 1's 30,000 ITPM never fit. The SDK
    // makes 1 + 2 attempts, each a 429 naming ITPM; the request fails as
    // too_large.
    let s = oversized("");
    let t = outcome(&s, "sdk_default");
    let n = t.requests;
    assert!(n > 0);
    assert_eq!(t.attempts, 3 * n);
    assert_eq!(t.rate_limited.itpm, 3 * n);
    assert_eq!(t.rate_limited.oversized, 3 * n);
    assert_eq!(t.failures.too_large, n);
    // The documented-by-observation rule is the default; the old one is an
    // option: one attempt, no 429, the same failure reason.
    let s = oversized("limiter: {oversized: too_large}");
    let t = outcome(&s, "sdk_default");
    assert_eq!((t.attempts, t.rate_limited.total), (n, 0));
    assert_eq!(t.failures.too_large, n);
}

// ---------------------------------------------------------------------------
// Part 4: spend caps
// ---------------------------------------------------------------------------

/// Sonnet 4.5, 20,000 input + 1,000 output tokens: 20,000 × $3/MTok +
/// 1,000 × $15/MTok = $0.075 a request. Limits raised so only spend binds.
fn spend(extra: &str, duration: &str, rate_per_min: u32) -> Scenario {
    scenario(&format!(
        r#"
name: spend
duration: {duration}
drain: 1m
tier: tier1
pools: {{sonnet-4: {{rpm: 100000, itpm: 1000000000, otpm: 100000000}}}}
{extra}
streams:
  - name: s
    model: claude-sonnet-4-5
    arrivals: {{constant: {{rate_per_min: {rate_per_min}}}}}
    input_tokens: 20000
    output_tokens: 1000
    max_tokens: 1000
strategies: [sdk_default]
"#
    ))
}

#[test]
fn the_tier_cap_stops_spending_with_a_429_and_no_retry_after() {
    // Tier 1 caps a month at $100. 1,333 requests cost $99.975 < $100, so
    // the 1,334th is still admitted ($100.05); every later one is refused.
    // 100 a minute for 20 minutes, the first at 0.6 s: 1,999 requests, 665
    // refused, each tried 1 + 2 times by the SDK (no retry-after: backoff
    // under a second, still in January).
    let s = spend("", "20m", 100);
    let m = run(&s, "sdk_default");
    let r = StrategyResult::new(&s, named(&s, "sdk_default"), &m);
    let sl = r.spend_limit.unwrap();
    assert_eq!((sl.monthly_limit_usd, sl.kind), (100.0, "tier"));
    assert_eq!(sl.first_refused_at_s, 801.0);
    let t = r.total;
    assert_eq!(t.requests, 1_999);
    assert_eq!(t.succeeded, 1_334);
    assert_eq!(t.failures.spend_limit, 665);
    assert_eq!(t.rate_limited.spend, 665 * 3);
    assert_eq!(m.spend_limited_attempts, 665 * 3);
    assert!(
        (t.cost_usd - 1_334.0 * 0.075).abs() < 1e-6,
        "{}",
        t.cost_usd
    );
    // The 1,335th request arrives at 1,334 × 0.6 s (the first at 0.6 s).
    let first = m.spend_limit_first_hit.unwrap();
    assert_eq!(first, SimTime(1_335 * 600_000_000), "{first:?}");
}

#[test]
fn a_self_set_lower_limit_answers_400_and_resumes_on_the_first_of_the_month() {
    // $1.50 a month: 20 requests ($1.50) are admitted, then 400s (not
    // retried). Simulated time 0 is 2026-01-31, so February starts after
    // one day (the 1,440th request arrives exactly then) and 20 more are
    // admitted. One request a minute for 2 days: 2,879 requests, 40 succeed.
    let s = spend("spend: {start: 2026-01-31, limit_usd: 1.5}", "2 days", 1);
    let t = outcome(&s, "sdk_default");
    assert_eq!(t.requests, 2_879);
    assert_eq!(t.succeeded, 40);
    assert_eq!(t.failures.spend_limit, 2_839);
    assert_eq!(t.attempts, 2_879, "a 400 is not retried");
    assert_eq!(t.rate_limited.total, 0);
    // The same limit above the tier's $100 cap: the tier cap binds (429s).
    let s = spend("spend: {limit_usd: 500}", "20m", 100);
    assert_eq!(outcome(&s, "sdk_default").rate_limited.spend, 665 * 3);
    // And without the tier cap nothing stops the run.
    let s = spend("spend: {tier_limit: false}", "20m", 100);
    let t = outcome(&s, "sdk_default");
    assert_eq!((t.succeeded, t.failures.spend_limit), (1_999, 0));
}

#[test]
fn catalogue_exposes_each_tiers_monthly_cap() {
    use ratesim::model::catalog::profile;
    let cap = |t| profile(t).unwrap().spend.monthly_limit_usd;
    assert_eq!(cap("tier1"), Some(100));
    assert_eq!(cap("tier4"), Some(200_000));
    assert_eq!(cap("start"), Some(500));
    assert_eq!(cap("build"), Some(1_000));
    assert_eq!(cap("scale"), Some(200_000));
}

// ---------------------------------------------------------------------------
// Part 5: prompt caching with a fixed hit rate
// ---------------------------------------------------------------------------

fn cached(prefix: u64, ttl: &str, hit_rate: f64) -> Scenario {
    scenario(&format!(
        r#"
name: cache
duration: 10m
tier: tier4
streams:
  - name: s
    model: claude-sonnet-4-5
    arrivals: {{constant: {{rate_per_min: 10}}}}
    input_tokens: 1000
    output_tokens: 100
    prompt_cache: {{prefix_tokens: {prefix}, ttl: {ttl}, hit_rate: {hit_rate}}}
strategies: [sdk_default]
"#
    ))
}

#[test]
fn a_fixed_hit_rate_keeps_the_minimum_length_and_the_one_hour_price() {
    // Every request misses and writes 4,000 tokens with the 1-hour TTL:
    // 1,000 × $3 + 4,000 × $6 + 100 × $15 per MTok = $0.0285 (the old rule
    // billed the write at the 5-minute $3.75: $0.0195).
    let s = cached(4_000, "1h", 0.0);
    let t = outcome(&s, "sdk_default");
    assert_eq!(t.succeeded, t.requests);
    assert_eq!(t.tokens.cache_write_1h, 4_000 * t.requests);
    let per_request = t.cost_usd / t.requests as f64;
    assert!((per_request - 0.0285).abs() < 1e-9, "{per_request}");
    // A 500-token prefix is below Sonnet 4.5's 1,024 minimum: never cached,
    // billed as input, whatever the hit rate says.
    let s = cached(500, "5m", 1.0);
    let t = outcome(&s, "sdk_default");
    assert_eq!((t.tokens.cache_read, t.tokens.cache_write), (0, 0));
    assert_eq!(t.tokens.input, 1_500 * t.requests);
    // Above the minimum, hit_rate 1 reads every time.
    let t = outcome(&cached(2_000, "5m", 1.0), "sdk_default");
    assert_eq!(t.tokens.cache_read, 2_000 * t.requests);
}

// ---------------------------------------------------------------------------
// Part 6: OTPM admission
// ---------------------------------------------------------------------------

#[test]
fn positive_admission_runs_a_70_000_token_debt_and_estimated_fits_does_not() {
    // 40 requests × 2,000 output tokens arrive at once against 10,000 OTPM,
    // each generating from 1 s to 21 s (100 tokens/s each).
    let limits = PoolLimits {
        otpm: Some(10_000),
        ..PoolLimits::default()
    };
    let t0 = SimTime::ZERO;
    let d = demand(
        0,
        2_000,
        2_000,
        SimTime::from_secs(1),
        SimTime::from_secs(21),
    );
    let admitted = |pool: &mut Pool| {
        (0..40)
            .filter(|_| {
                let ok = pool.check(t0, &d) == Verdict::Admit;
                if ok {
                    pool.admit(t0, &d);
                }
                ok
            })
            .count()
    };
    // Positive: all 40 are admitted; at 21 s the level is 10,000 −
    // 40 × 100 × 20 + 10,000/60 × 20 = −66,666.67, so the next request
    // waits until the refill (166.67/s) brings it above zero: 400 s more.
    let mut pool = Pool::new(limits, LimiterConfig::default());
    assert_eq!(admitted(&mut pool), 40);
    let late = SimTime::from_secs(21);
    let next = demand(0, 2_000, 2_000, late, late);
    match pool.check(late, &next) {
        Verdict::Reject { dimension, fits_at } => {
            assert_eq!(dimension, Dimension::Otpm);
            let s = fits_at.as_secs_f64();
            assert!((s - 421.0).abs() < 0.01, "{s}");
        }
        v => panic!("{v:?}"),
    }
    // estimated_fits: the 10,000 tokens hold five 2,000-token estimates;
    // the sixth waits for 2,000 tokens of refill: 12 s.
    let config = LimiterConfig {
        admit_when: AdmitWhen::EstimatedFits,
        ..LimiterConfig::default()
    };
    let mut pool = Pool::new(limits, config);
    assert_eq!(admitted(&mut pool), 5);
    assert_eq!(
        pool.check(t0, &d),
        Verdict::Reject {
            dimension: Dimension::Otpm,
            fits_at: SimTime(12 * SEC)
        }
    );
}

#[test]
fn the_generation_otpm_scenario_shows_both_admission_rules() {
    let s = common::fixtures::load("scenarios/generation-otpm.yaml");
    let names: Vec<&str> = s.strategies.iter().map(|x| x.name.as_str()).collect();
    assert!(names.len() >= 2, "{names:?}");
    assert_eq!(s.sim.provider.limiter.admit_when, AdmitWhen::Positive);
}

// ---------------------------------------------------------------------------
// Part 8: mid-stream errors
// ---------------------------------------------------------------------------

fn mid_stream(p: f64) -> Scenario {
    scenario(&format!(
        r#"
name: mid
duration: 30m
tier: tier4
overload: {{mid_stream: {p}}}
streams:
  - name: s
    model: claude-sonnet-4-5
    arrivals: {{constant: {{rate_per_min: 100}}}}
    input_tokens: 1000
    output_tokens: 600
    max_tokens: 600
strategies: [sdk_default]
"#
    ))
}

#[test]
fn a_mid_stream_529_bills_partial_output_and_is_not_retried() {
    let s = mid_stream(1.0);
    let t = outcome(&s, "sdk_default");
    let n = t.requests;
    assert_eq!(n, 2_999);
    // Every attempt is cut after its 200 began: one attempt each, no retry.
    assert_eq!(
        (t.attempts, t.overloaded, t.overloaded_mid_stream),
        (n, n, n)
    );
    assert_eq!((t.succeeded, t.failures.gave_up), (0, n));
    // Input is billed in full; output is a uniform fraction of 600 tokens:
    // on average 300, and never all of it.
    assert_eq!(t.tokens.input, 1_000 * n);
    let mean = t.tokens.output as f64 / n as f64;
    assert!(
        (mean - 300.0).abs() < 4.0 * 173.2 / (n as f64).sqrt(),
        "{mean}"
    );
    // At 0.1 about a tenth of attempts are cut (binomial, 4σ).
    let t = outcome(&mid_stream(0.1), "sdk_default");
    let share = t.overloaded_mid_stream as f64 / t.attempts as f64;
    assert!(
        (share - 0.1).abs() < 4.0 * (0.09f64 / 3_000.0).sqrt(),
        "{share}"
    );
    assert_eq!(t.failures.gave_up, t.overloaded_mid_stream);
}

// ---------------------------------------------------------------------------
// Part 3: long context
// ---------------------------------------------------------------------------

fn long_context(tier: &str, rate_per_min: u32) -> Scenario {
    scenario(&format!(
        r#"
name: long
duration: 10m
tier: {tier}
streams:
  - name: s
    model: claude-sonnet-4-5
    arrivals: {{constant: {{rate_per_min: {rate_per_min}}}}}
    input_tokens: 250000
    output_tokens: 1000
    max_tokens: 1000
strategies: [sdk_default]
"#
    ))
}

#[test]
fn a_long_context_request_is_billed_at_the_long_context_price() {
    // 250,000 × $6 + 1,000 × $22.50 per MTok = $1.5225 (list prices would
    // give $0.765, about half).
    let s = long_context("tier4", 2);
    let t = outcome(&s, "sdk_default");
    assert_eq!(t.succeeded, t.requests);
    let per_request = t.cost_usd / t.requests as f64;
    assert!((per_request - 1.5225).abs() < 1e-9, "{per_request}");
}

#[test]
fn tier_four_sends_long_context_requests_to_their_own_pool() {
    use rand::SeedableRng;
    use ratesim::model::{Attempt, Provider, Status};
    let s = long_context("tier4", 2);
    let mut p = Provider::new(
        s.sim.provider.clone(),
        rand_chacha::ChaCha8Rng::seed_from_u64(1),
    );
    let attempt = |input| Attempt {
        model: 0,
        input_tokens: input,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        prefix: None,
        max_tokens: 1_000,
        output_tokens: 1_000,
        service_factor: 1.0,
        workspace: None,
    };
    let t0 = SimTime::ZERO;
    // 1,000,000 long-context ITPM hold four 250,000-token requests; the
    // fifth waits for 250,000 tokens of refill at 1,000,000/min: 15 s.
    for _ in 0..4 {
        let r = p.handle(t0, &attempt(250_000));
        assert_eq!(r.status, Status::Ok);
        let h = r.headers.unwrap().input_tokens.unwrap();
        assert_eq!(h.limit, 1_000_000);
    }
    let r = p.handle(t0, &attempt(250_000));
    assert_eq!(r.status, Status::RateLimited(Dimension::Itpm));
    assert_eq!(r.retry_after_s, Some(15));
    // The ordinary 2,000,000 ITPM pool is untouched by them.
    let r = p.handle(t0, &attempt(100_000));
    assert_eq!(r.status, Status::Ok);
    let h = r.headers.unwrap().input_tokens.unwrap();
    assert_eq!((h.limit, h.remaining), (2_000_000, 1_900_000));
    // Tier 1 publishes no long-context limits: the request meets the
    // ordinary 30,000 ITPM and can never fit.
    let t = outcome(&long_context("tier1", 2), "sdk_default");
    assert_eq!(t.failures.too_large, t.requests);
}

#[test]
fn the_catalogue_names_the_models_with_long_context() {
    use ratesim::model::catalog::{
        LONG_CONTEXT_THRESHOLD, long_context_limits, long_context_prices,
    };
    assert_eq!(LONG_CONTEXT_THRESHOLD, 200_000);
    let p = long_context_prices("claude-sonnet-4-5").unwrap();
    assert_eq!((p.input, p.output, p.cache_write_1h), (6.0, 22.5, 12.0));
    assert!(long_context_prices("claude-sonnet-4-0").is_some());
    assert!(long_context_prices("claude-sonnet-4-6").is_none());
    assert!(long_context_prices("claude-opus-4-6").is_none());
    let l = long_context_limits("tier4", "sonnet-4").unwrap();
    assert_eq!(
        (l.rpm, l.itpm, l.otpm),
        (None, Some(1_000_000), Some(200_000))
    );
    assert!(long_context_limits("tier3", "sonnet-4").is_none());
}

// ---------------------------------------------------------------------------
// Part 7: Batch API
// ---------------------------------------------------------------------------

fn batched(hit_rate: f64) -> Scenario {
    scenario(&format!(
        r#"
name: batched
duration: 5m
drain: 2 days
tier: tier2
batch:
  turnaround: {{median: 30m, sigma: 0}}
  per_request: 1m
  cache_hit_rate: {hit_rate}
streams:
  - name: evals
    model: claude-sonnet-4-5
    api: batch
    arrivals: none
    spikes:
      - {{at: 1m, count: 2000, over: 1s}}
    input_tokens: 1000
    output_tokens: 100
    max_tokens: 100
    prompt_cache: {{prefix_tokens: 10000}}
strategies: [sdk_default]
"#
    ))
}

#[test]
fn a_slow_batch_expires_per_request_and_bills_best_effort_cache_hits() {
    // One batch of 2,000: 30 min + 2,000 × 1 min = 2,030 min > 24 h, so at
    // an even pace ⌊2,000 × 1,440 / 2,030⌋ = 1,418 are processed and 582
    // expire (unbilled). With every prefix read from the cache, each costs
    // (1,000 × $1.50 + 10,000 × $0.15 + 100 × $7.50) per MTok = $0.00375.
    let t = outcome(&batched(1.0), "sdk_default");
    assert_eq!(t.requests, 2_000);
    assert_eq!((t.succeeded, t.failures.batch_expired), (1_418, 582));
    assert_eq!(t.tokens.cache_read, 10_000 * 1_418);
    assert!(
        (t.cost_usd - 1_418.0 * 0.00375).abs() < 1e-9,
        "{}",
        t.cost_usd
    );
    // With no hits every prefix is written at the batch 5-minute price:
    // 10,000 × $1.875 per MTok more: $0.021 a request.
    let t = outcome(&batched(0.0), "sdk_default");
    assert!(
        (t.cost_usd - 1_418.0 * 0.021).abs() < 1e-9,
        "{}",
        t.cost_usd
    );
    // The default, 30 % (the low end of the documented 30 %-98 %), falls
    // in between.
    let s = scenario(
        "name: b\nduration: 1m\ntier: tier2\nstreams: [{name: s, model: claude-sonnet-4-5, \
         api: batch, input_tokens: 10, output_tokens: 10, arrivals: {constant: {rate_per_min: 1}}}]\n",
    );
    assert_eq!(s.sim.provider.batch.unwrap().cache_hit_rate, 0.3);
}

#[test]
fn newer_pools_come_from_the_newest_copy_and_older_tables_stay_selectable() {
    let yaml = |tier: &str, model: &str| {
        format!(
            "name: n\nduration: 1m\ntier: {tier}\nstreams: [{{name: s, model: {model}, \
             input_tokens: 10, output_tokens: 10, arrivals: {{constant: {{rate_per_min: 1}}}}}}]\n"
        )
    };
    // Start/Build/Scale: Sonnet 5 and Fable 5 are pools of their own.
    let s = scenario(&yaml("build", "claude-sonnet-5"));
    let (name, l) = &s.sim.provider.pools[0];
    assert_eq!(name, "sonnet-5");
    assert_eq!(
        (l.rpm, l.itpm, l.otpm),
        (Some(5_000), Some(5_000_000), Some(1_000_000))
    );
    let s = scenario(&yaml("scale", "claude-fable-5"));
    assert_eq!(s.sim.provider.pools[0].1.itpm, Some(4_000_000));
    // Opus 4.8 shares the Opus 4.x pool.
    let s = scenario(&yaml("start", "claude-opus-4-8"));
    assert_eq!(s.sim.provider.pools[0].0, "opus-4");
    // The Tier 1-4 tables predate Sonnet 5: a located error asks for limits.
    let e = Scenario::from_yaml_str("n.yaml", &yaml("tier1", "claude-sonnet-5"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("publishes no limits for pool `sonnet-5`"), "{e}");
    // Sonnet 5's documented $2 / $10 with the usual cache multipliers.
    let p = ratesim::model::catalog::find_model("claude-sonnet-5")
        .unwrap()
        .prices;
    assert_eq!(
        (p.input, p.output, p.cache_write_5m, p.cache_write_1h),
        (2.0, 10.0, 2.5, 4.0)
    );
}
