//! The adaptive strategies and the official SDK's retry rule: `sdk_default`,
//! `aimd`, `adaptive_throttle` and `retry_budget`, each tested for the
//! behaviour that defines it.

mod common;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use common::sim::{named, run_strategy, scenario};
use ratesim::engine::SimTime;
use ratesim::export::to_table;
use ratesim::metrics::ClassMetrics;
use ratesim::model::{Dimension, PoolLimits, RateLimitHeaders, Response, Status};
use ratesim::report::{Report, StrategyResult};
use ratesim::scenario::Scenario;
use ratesim::strategy::sdk::{self, SdkVersion};
use ratesim::strategy::{
    AimdSpec, Client, ClientRequest, Concurrency, Decision, PacingSpec, Poll, Preset,
    RetryBudgetSpec, RetryPolicy, Router, StrategySpec,
};

fn run_named(s: &Scenario, name: &str) -> ClassMetrics {
    run_strategy(s, named(s, name)).total()
}

fn total_429(c: &ClassMetrics) -> u64 {
    c.rate_limited.iter().sum()
}

/// One Sonnet stream of short requests (1.55 s each) where only RPM binds.
fn rpm_bound(seed: u64, rpm: u64, rate_per_min: u64, duration: &str, strategies: &str) -> String {
    format!(
        r#"
name: rpm-bound
seed: {seed}
duration: {duration}
drain: 10m
pools:
  sonnet-4: {{rpm: {rpm}, itpm: 100000000, otpm: 100000000}}
latency:
  network_rtt: 50ms
  models:
    claude-sonnet-4-5: {{ttft: 500ms, output_tokens_per_s: 100}}
streams:
  - name: main
    model: claude-sonnet-4-5
    arrivals: {{poisson: {{rate_per_min: {rate_per_min}}}}}
    input_tokens: 200
    output_tokens: 100
    max_tokens: 200
strategies: {strategies}
"#
    )
}

// ---------------------------------------------------------------- sdk_default

#[test]
fn sdk_delay_table_matches_hand_computed_values() {
    let t = |n, u| sdk::retry_timeout(SdkVersion::Current, n, None, u);
    // U = 0 gives the top of each range: min(0.5·2ⁿ, 8).
    let top: Vec<f64> = (0..7).map(|n| t(n, 0.0)).collect();
    assert_eq!(top, [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]);
    // U = 0.5 takes off 12.5 %.
    let mid: Vec<f64> = (0..5).map(|n| t(n, 0.5)).collect();
    assert_eq!(mid, [0.4375, 0.875, 1.75, 3.5, 7.0]);
    // U → 1 gives the bottom, 75 % of the top. U < 1, but for the largest
    // draw below 1 the product rounds to exactly 0.75 in f64 (in Python too).
    let u = 1.0 - f64::EPSILON / 2.0;
    for (n, lo) in [(0, 0.375), (1, 0.75), (2, 1.5), (4, 6.0)] {
        assert_eq!(t(n, u), lo, "retry {n}");
    }
    // The retry count is capped at 1000 before `pow`, the delay at 8 s.
    assert_eq!(t(u32::MAX, 0.0), 8.0);
    assert_eq!(sdk::DEFAULT_MAX_RETRIES, 2);
    assert_eq!((sdk::INITIAL_RETRY_DELAY, sdk::MAX_RETRY_DELAY), (0.5, 8.0));

    // Through the retry policy, with the client's ChaCha stream: every draw
    // falls in the range and the mean is the middle of U(0.75, 1]·top.
    let p = RetryPolicy::SdkDefault {
        max_retries: 2,
        version: SdkVersion::Current,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    for (n, lo, hi) in [(0u32, 0.375, 0.5), (1, 0.75, 1.0)] {
        let xs: Vec<f64> = (0..10_000)
            .map(|_| {
                p.delay(n, SimTime::ZERO, None, &mut rng)
                    .expect("within max_retries")
                    .as_secs_f64()
            })
            .collect();
        assert!(xs.iter().all(|&x| x >= lo && x <= hi), "retry {n}");
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let expect = (lo + hi) / 2.0;
        assert!((mean - expect).abs() < 0.005 * hi, "retry {n}: mean {mean}");
    }
    assert_eq!(
        p.delay(2, SimTime::ZERO, None, &mut rng),
        None,
        "3 attempts in all"
    );
}

#[test]
fn sdk_retry_after_is_capped_at_60s_only_in_legacy() {
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let policy = |version| RetryPolicy::SdkDefault {
        max_retries: 2,
        version,
    };
    let secs = |s| Some(SimTime::from_secs(s));
    for v in [SdkVersion::Current, SdkVersion::Legacy] {
        let d = policy(v).delay(0, SimTime::ZERO, secs(30), &mut rng);
        assert_eq!(d, secs(30), "{v:?} obeys retry-after 30 s");
        // A 60 s value is still within 0 < v ≤ 60.
        let d = policy(v).delay(1, SimTime::ZERO, secs(60), &mut rng);
        assert_eq!(d, secs(60), "{v:?}");
    }
    // 90 s: 2.x waits as told; 0.x falls back to 0.375–0.5 s and comes back
    // long before the server said it would admit the request.
    let current = policy(SdkVersion::Current).delay(0, SimTime::ZERO, secs(90), &mut rng);
    assert_eq!(current, secs(90));
    let legacy = policy(SdkVersion::Legacy)
        .delay(0, SimTime::ZERO, secs(90), &mut rng)
        .unwrap()
        .as_secs_f64();
    assert!((0.375..=0.5).contains(&legacy), "legacy: {legacy}");
    let just_over = Some(SimTime::from_millis(60_001));
    let legacy = policy(SdkVersion::Legacy)
        .delay(1, SimTime::ZERO, just_over, &mut rng)
        .unwrap()
        .as_secs_f64();
    assert!((0.75..=1.0).contains(&legacy), "legacy: {legacy}");
    // Pure function: the same, plus "0 falls back to backoff" in both.
    assert_eq!(
        sdk::retry_timeout(SdkVersion::Legacy, 0, Some(90.0), 0.0),
        0.5
    );
    assert_eq!(
        sdk::retry_timeout(SdkVersion::Current, 0, Some(90.0), 0.0),
        90.0
    );
    assert_eq!(
        sdk::retry_timeout(SdkVersion::Current, 3, Some(0.0), 0.0),
        4.0
    );
}

fn request(id: u32) -> ClientRequest {
    ClientRequest {
        id,
        model: 0,
        pool: 0,
        class: 0,
        arrival: SimTime::ZERO,
        seq: id as u64,
        input_tokens: 100,
        max_tokens: 100,
    }
}

fn rejection(
    should_retry: bool,
    retry_after_s: Option<u64>,
    retry_after_ms: Option<u64>,
) -> Response {
    Response {
        status: Status::RateLimited(Dimension::Rpm),
        headers: Some(RateLimitHeaders::default()),
        retry_after_s,
        retry_after_ms,
        should_retry,
        usage: None,
        limited_by_workspace: false,
        oversized: false,
        server_time: SimTime::from_secs(1),
        received_at: SimTime::from_secs(1),
    }
}

/// Sends request 0 through a fresh client and answers it with `response`.
fn decide(spec: StrategySpec, response: &Response) -> Decision {
    let mut client = Client::new(
        spec,
        &[PoolLimits::default()],
        vec![0],
        Router::default(),
        ChaCha8Rng::seed_from_u64(3),
    );
    client.enqueue(request(0));
    let Poll::Send { request, cost } = client.poll(SimTime::ZERO) else {
        panic!("an unpaced client sends at once");
    };
    client.on_response(
        SimTime::from_secs(1),
        &request,
        cost,
        response,
        0,
        SimTime::ZERO,
    )
}

#[test]
fn sdk_obeys_x_should_retry_and_prefers_retry_after_ms() {
    let spec = Preset::SdkDefault.spec();
    // `x-should-retry: false` on a 429: the SDK does not retry.
    assert_eq!(
        decide(spec.clone(), &rejection(false, Some(1), None)),
        Decision::GiveUp
    );
    assert!(!sdk::should_retry(Some(false), 429));
    assert!(sdk::should_retry(None, 429) && sdk::should_retry(None, 529));
    assert!(sdk::should_retry(None, 408) && sdk::should_retry(None, 409));
    assert!(!sdk::should_retry(None, 400) && !sdk::should_retry(None, 413));
    // `retry-after-ms` wins over `retry-after`.
    assert_eq!(
        decide(spec.clone(), &rejection(true, Some(30), Some(1500))),
        Decision::Retry(SimTime::from_millis(1500))
    );
    assert_eq!(
        decide(spec, &rejection(true, Some(30), None)),
        Decision::Retry(SimTime::from_secs(30))
    );
}

#[test]
fn sdk_default_makes_at_most_three_attempts_per_request() {
    // Three times the 50 RPM limit for 30 minutes.
    let yaml = rpm_bound(
        5,
        50,
        150,
        "30m",
        r#"
  - sdk_default
  - name: yaml
    retry: {sdk_default: {max_retries: 2, version: current}}
  - name: five
    preset: sdk_default
    retry: {sdk_default: {max_retries: 5}}
  - name: legacy
    preset: sdk_default
    retry: {sdk_default: {version: legacy}}
"#,
    );
    let s = scenario(&yaml);
    let expect = RetryPolicy::SdkDefault {
        max_retries: 2,
        version: SdkVersion::Current,
    };
    assert_eq!(named(&s, "sdk_default").retry, expect);
    assert_eq!(named(&s, "yaml").retry, expect);
    assert_eq!(
        named(&s, "five").retry,
        RetryPolicy::SdkDefault {
            max_retries: 5,
            version: SdkVersion::Current
        }
    );
    assert_eq!(
        named(&s, "legacy").retry,
        RetryPolicy::SdkDefault {
            max_retries: 2,
            version: SdkVersion::Legacy
        }
    );
    assert_eq!(
        named(&s, "sdk_default").describe(),
        "queue=fifo concurrency=unbounded pacing=none retry=sdk_default(current, max 2)"
    );

    let t = run_named(&s, "sdk_default");
    assert!(t.requests > 4000, "{} requests", t.requests);
    assert!(t.attempts <= 3 * t.requests, "{} attempts", t.attempts);
    // Saturated: many requests use all three attempts and then give up.
    assert!(t.attempts > 2 * t.requests, "{} attempts", t.attempts);
    assert!(t.failed[0] > t.requests / 2, "{:?}", t.failed);
    assert_eq!(t.failed[1..], [0, 0, 0, 0, 0, 0]);

    let five = run_named(&s, "five");
    assert!(five.attempts <= 6 * five.requests);
    assert!(five.attempts > t.attempts, "more retries, more attempts");
    // With retry-after never above 60 s here, the versions agree exactly.
    let legacy = run_named(&s, "legacy");
    assert_eq!(
        (legacy.attempts, legacy.succeeded),
        (t.attempts, t.succeeded)
    );
}

// ----------------------------------------------------------------------- aimd

/// A pool capped at 8 concurrent requests, each holding its slot 5.5 s
/// (500 output tokens at 100/s after a 0.5 s TTFT): capacity ≈ 87 per minute.
fn concurrency_bound(rate_per_min: u64, strategies: &str) -> String {
    format!(
        r#"
name: concurrency-bound
seed: 7
duration: 20m
drain: 10m
pools:
  sonnet-4: {{rpm: 100000, itpm: 100000000, otpm: 100000000, max_concurrent: 8}}
latency:
  network_rtt: 50ms
  models:
    claude-sonnet-4-5: {{ttft: 500ms, output_tokens_per_s: 100}}
streams:
  - name: main
    model: claude-sonnet-4-5
    arrivals: {{poisson: {{rate_per_min: {rate_per_min}}}}}
    input_tokens: 500
    output_tokens: 500
    max_tokens: 1000
strategies: {strategies}
"#
    )
}

#[test]
fn aimd_settles_at_the_server_concurrency_cap() {
    // 150 requests a minute against a capacity of about 87.
    let s = scenario(&concurrency_bound(
        150,
        r#"
  - aimd
  - exponential_backoff
  - name: capped
    preset: aimd
    concurrency: {aimd: {initial: 4, max: 6}}
"#,
    ));
    let aimd_spec = named(&s, "aimd");
    assert_eq!(
        aimd_spec.concurrency,
        Concurrency::Aimd(AimdSpec::default())
    );
    assert!(
        aimd_spec
            .describe()
            .starts_with("queue=fifo concurrency=aimd(10, 1..200, x0.9) pacing=none retry=backoff"),
        "{}",
        aimd_spec.describe()
    );
    let m = run_strategy(&s, aimd_spec);
    let (a, eb) = (m.total(), run_named(&s, "exponential_backoff"));
    let conc = |c: &ClassMetrics| c.rate_limited[Dimension::Concurrency.index()];
    assert_eq!(total_429(&a), conc(&a), "only the concurrency cap binds");
    assert!(
        4 * conc(&a) < conc(&eb),
        "aimd {} concurrency 429s vs unbounded {}",
        conc(&a),
        conc(&eb)
    );
    // It keeps all 8 server slots busy: 30 simulated minutes at 8 slots of
    // 5.5 s each allow about 2,618 successes.
    assert!(a.succeeded > 2450, "aimd: {} successes", a.succeeded);
    assert!(
        a.succeeded > eb.succeeded,
        "{} vs {}",
        a.succeeded,
        eb.succeeded
    );
    // The price of probing: once saturated, each success raises the limit to
    // 9, the next send finds 8 busy slots and its 429 cuts the limit back to
    // floor(9 · 0.9) = 8, so there is about one 429 per success.
    assert!(conc(&a) <= a.succeeded + a.succeeded / 10, "{}", conc(&a));
    // In flight: never above the initial 10, i.e. within 2 of the cap.
    assert!(m.peak_in_flight <= 10, "aimd peak {}", m.peak_in_flight);

    // With the maximum below the server's cap the limit never reaches it:
    // no 429 at all, and exactly `max` in flight at the peak.
    let capped = run_strategy(&s, named(&s, "capped"));
    assert_eq!(total_429(&capped.total()), 0);
    assert_eq!(capped.peak_in_flight, 6);
}

#[test]
fn aimd_limit_grows_on_used_successes_and_shrinks_on_429s() {
    let mut spec = Preset::Aimd.spec();
    spec.concurrency = Concurrency::Aimd(AimdSpec {
        initial: 4,
        ..AimdSpec::default()
    });
    let mut client = Client::new(
        spec,
        &[PoolLimits::default()],
        vec![0],
        Router::default(),
        ChaCha8Rng::seed_from_u64(4),
    );
    for id in 0..8 {
        client.enqueue(request(id));
    }
    let mut sent = Vec::new();
    while let Poll::Send { request, cost } = client.poll(SimTime::ZERO) {
        sent.push((request, cost));
    }
    assert_eq!((sent.len(), client.concurrency_limit()), (4, Some(4)));
    let ok = Response {
        status: Status::Ok,
        ..rejection(false, None, None)
    };
    let t = SimTime::from_secs(1);
    let answer = |client: &mut Client, (r, c): (ClientRequest, _), response: &Response| {
        client.on_response(t, &r, c, response, 0, SimTime::ZERO)
    };
    // The first request went out alone (1 · 2 < 4): its success leaves the
    // limit alone, as in Netflix's AIMDLimit, and frees one permit.
    assert_eq!(answer(&mut client, sent.remove(0), &ok), Decision::Done);
    assert_eq!(client.concurrency_limit(), Some(4));
    let Poll::Send { request, cost } = client.poll(t) else {
        panic!("a permit was freed");
    };
    sent.push((request, cost));
    // The fourth went out with 4 in flight (4 · 2 >= 4): its success raises
    // the limit to 5, and two more go out (3 left in flight + 2).
    assert_eq!(sent[2].0.id, 3);
    assert_eq!(answer(&mut client, sent.remove(2), &ok), Decision::Done);
    assert_eq!(client.concurrency_limit(), Some(5));
    while let Poll::Send { request, cost } = client.poll(t) {
        sent.push((request, cost));
    }
    assert_eq!(client.in_flight(), 5);
    // A 429 cuts it to floor(5 · 0.9) = 4; no send until one more returns.
    let d = answer(&mut client, sent.remove(0), &rejection(true, Some(1), None));
    assert!(matches!(d, Decision::Retry(_)));
    assert_eq!(client.concurrency_limit(), Some(4));
    assert!(!matches!(client.poll(t), Poll::Send { .. }));
}

#[test]
fn aimd_overrides_are_validated() {
    for (bad, msg) in [
        (
            "{aimd: {backoff_ratio: 1.0}}",
            "backoff_ratio must be in [0.5, 1)",
        ),
        ("{aimd: {min: 0}}", "1 <= min <= initial <= max"),
        ("{aimd: {initial: 300}}", "1 <= min <= initial <= max"),
    ] {
        let yaml = concurrency_bound(10, &format!("[{{name: x, concurrency: {bad}}}]"));
        let err = Scenario::from_yaml_str("inline.yaml", &yaml).unwrap_err();
        assert!(err.to_string().contains(msg), "{bad}: {err}");
    }
}

// ---------------------------------------------------------- adaptive_throttle

#[test]
fn adaptive_throttle_absorbs_sustained_overload_locally() {
    // Three times the 50 RPM limit for 30 minutes.
    let yaml = rpm_bound(
        7,
        50,
        150,
        "30m",
        r#"
  - adaptive_throttle
  - exponential_backoff
  - name: yaml
    pacing: {adaptive_throttle: {k: 2.0, window: 2m}}
"#,
    );
    let s = scenario(&yaml);
    let spec = named(&s, "adaptive_throttle");
    let expect = PacingSpec::AdaptiveThrottle {
        k: 2.0,
        window: SimTime::from_secs(120),
    };
    assert_eq!(spec.pacing, expect);
    assert_eq!(named(&s, "yaml").pacing, expect);
    assert!(
        spec.describe()
            .contains("pacing=adaptive_throttle(k 2, 120.000s)"),
        "{}",
        spec.describe()
    );

    let at = run_named(&s, "adaptive_throttle");
    let eb = run_named(&s, "exponential_backoff");
    assert_eq!(at.requests, eb.requests);
    assert!(at.throttled_locally > 0);
    assert_eq!(eb.throttled_locally, 0);
    // Local rejections absorb the excess: a tenth of the attempts reach the
    // server, and a twentieth of the 429s.
    assert!(
        5 * at.attempts < eb.attempts,
        "throttle sent {} attempts, backoff {}",
        at.attempts,
        eb.attempts
    );
    assert!(10 * total_429(&at) < total_429(&eb));
    // The SRE book's fixed point: about K = 2 attempts per accepted one.
    assert!(
        at.attempts <= at.succeeded * 5 / 2,
        "{} attempts for {} accepts",
        at.attempts,
        at.succeeded
    );
    // And almost no goodput is lost for it.
    assert!(
        at.succeeded * 10 >= eb.succeeded * 9,
        "{} vs {}",
        at.succeeded,
        eb.succeeded
    );
    // Local rejections are not attempts: every attempt got a response.
    assert_eq!(at.attempts, at.succeeded + total_429(&at) + at.overloaded);
}

#[test]
fn adaptive_throttle_never_throttles_without_overload() {
    // 90 % of the 50 RPM limit with responses of 1–10.5 s, so several are in
    // flight before the first accept: counting them when sent would throttle
    // a cold client (see src/strategy/throttle.rs).
    for seed in 1..=10 {
        let yaml = rpm_bound(seed, 50, 45, "30m", "[adaptive_throttle]").replace(
            "output_tokens: 100\n    max_tokens: 200",
            "output_tokens: {uniform: {min: 50, max: 1000}}\n    max_tokens: 1000",
        );
        let s = scenario(&yaml);
        let t = run_named(&s, "adaptive_throttle");
        assert_eq!(total_429(&t), 0, "seed {seed}: the load fits");
        assert_eq!(t.throttled_locally, 0, "seed {seed}");
        assert_eq!(t.attempts, t.requests, "seed {seed}");
        assert_eq!(t.succeeded, t.requests, "seed {seed}");
    }
}

#[test]
fn throttled_locally_shows_in_reports_only_when_it_fires() {
    let s = scenario(&rpm_bound(
        7,
        50,
        150,
        "10m",
        "[adaptive_throttle, exponential_backoff]",
    ));
    let report = |names: &[&str]| {
        let results = names
            .iter()
            .map(|n| StrategyResult::new(&s, named(&s, n), &run_strategy(&s, named(&s, n))))
            .collect();
        Report::new(&s, results)
    };
    let both = report(&["adaptive_throttle", "exponential_backoff"]);
    assert!(both.results[0].total.throttled_locally > 0);
    assert!(to_table(&both).contains("throttled locally"));
    let json: serde_json::Value = serde_json::from_str(&both.to_json()).unwrap();
    assert!(json["results"][0]["throttled_locally"].as_u64().unwrap() > 0);
    assert!(json["results"][1].get("throttled_locally").is_none());

    let plain = report(&["exponential_backoff"]);
    assert!(!to_table(&plain).contains("throttled locally"));
}

// --------------------------------------------------------------- retry_budget

#[test]
fn retry_budget_caps_a_retry_storm() {
    // Five times the 20 RPM limit, retried immediately up to 10 times.
    let (ratio, min_per_s, ttl_s) = (0.2, 1.0, 10.0);
    let yaml = rpm_bound(
        7,
        20,
        100,
        "5m",
        r#"
  - naive_retry
  - name: budgeted
    preset: naive_retry
    retry_budget: {ratio: 0.2, min_per_s: 1, ttl: 10s}
"#,
    )
    .replace("drain: 10m", "drain: 1m");
    let s = scenario(&yaml);
    let spec = named(&s, "budgeted");
    assert_eq!(
        spec.retry_budget,
        Some(RetryBudgetSpec {
            ratio,
            min_per_s,
            ttl: SimTime::from_secs(10)
        })
    );
    assert!(
        spec.describe()
            .ends_with("retry_budget(0.2 per request, 1/s, ttl 10.000s)"),
        "{}",
        spec.describe()
    );
    let naive = run_named(&s, "naive_retry");
    let b = run_named(&s, "budgeted");
    assert_eq!(naive.requests, b.requests);
    // Retries ≤ ratio · requests + min_per_s · (run time + one ttl of slack,
    // since the reserve renews every ttl).
    let run_s = (s.sim.horizon + s.sim.drain).as_secs_f64();
    let bound = b.requests as f64 * (1.0 + ratio) + min_per_s * (run_s + ttl_s);
    assert!(
        (b.attempts as f64) <= bound,
        "{} attempts > bound {bound}",
        b.attempts
    );
    assert!(
        naive.attempts > 4 * b.attempts,
        "naive {} vs budgeted {}",
        naive.attempts,
        b.attempts
    );
    // Immediate retries never won anything here: the budget costs no goodput.
    assert_eq!(b.succeeded, naive.succeeded);
    assert_eq!(b.failed, naive.failed);
}

#[test]
fn retry_budget_combines_with_any_policy_field_by_field() {
    let yaml = rpm_bound(
        1,
        50,
        10,
        "1m",
        r#"
  - retry_budget
  - name: looser
    preset: retry_budget
    retry_budget: {min_per_s: 5}
  - name: sdk
    preset: sdk_default
    retry_budget: {ratio: 0.1}
"#,
    );
    let s = scenario(&yaml);
    let preset = named(&s, "retry_budget");
    assert_eq!(preset.retry_budget, Some(RetryBudgetSpec::default()));
    assert!(matches!(preset.retry, RetryPolicy::Backoff(_)));
    assert_eq!(
        named(&s, "looser").retry_budget,
        Some(RetryBudgetSpec {
            min_per_s: 5.0,
            ..RetryBudgetSpec::default()
        })
    );
    let sdk_spec = named(&s, "sdk");
    assert!(matches!(sdk_spec.retry, RetryPolicy::SdkDefault { .. }));
    assert_eq!(
        sdk_spec.retry_budget,
        Some(RetryBudgetSpec {
            ratio: 0.1,
            ..RetryBudgetSpec::default()
        })
    );
    for (bad, msg) in [
        ("{ttl: 90s}", "from 1s to 60s"),
        ("{ttl: 1500ms}", "whole number of seconds"),
        ("{ratio: -1}", "ratio must be between 0 and 1000"),
    ] {
        let yaml = rpm_bound(
            1,
            50,
            10,
            "1m",
            &format!("[{{name: x, retry_budget: {bad}}}]"),
        );
        let err = Scenario::from_yaml_str("inline.yaml", &yaml).unwrap_err();
        assert!(err.to_string().contains(msg), "{bad}: {err}");
    }
    for (bad, msg) in [
        ("{adaptive_throttle: {k: 0}}", "k must be > 0"),
        (
            "{adaptive_throttle: {window: 0s}}",
            "window must be from 1s to 1h",
        ),
    ] {
        let yaml = rpm_bound(1, 50, 10, "1m", &format!("[{{name: x, pacing: {bad}}}]"));
        let err = Scenario::from_yaml_str("inline.yaml", &yaml).unwrap_err();
        assert!(err.to_string().contains(msg), "{bad}: {err}");
    }
}

// ---------------------------------------------------------------------- all

#[test]
fn new_presets_are_listed_after_the_first_six_and_are_deterministic() {
    let names: Vec<&str> = Preset::ALL.iter().map(|p| p.name()).collect();
    assert_eq!(
        names[6..],
        [
            "sdk_default",
            "aimd",
            "adaptive_throttle",
            "retry_budget",
            "batch_offload"
        ]
    );
    for n in &names[6..] {
        assert_eq!(Preset::from_name(n).map(|p| p.name()), Some(*n));
    }
    let s = scenario(&rpm_bound(3, 50, 120, "5m", "[]").replace("strategies: []\n", ""));
    assert_eq!(s.strategies.len(), Preset::ALL.len());
    for p in &Preset::ALL[6..] {
        let json = |s: &Scenario| {
            let r = StrategyResult::new(s, &p.spec(), &run_strategy(s, &p.spec()));
            Report::new(s, vec![r]).to_json()
        };
        assert_eq!(json(&s), json(&s), "{}", p.name());
    }
}
