//! Fleets of replicas against one organisation's limits, checked against
//! closed forms: what N paced replicas admit, that a split budget never
//! draws a 429, what a shared limiter costs and what it does when down.

mod common;

use common::sim::{named, run_strategy, scenario};
use ratesim::metrics::RunMetrics;
use ratesim::scenario::Scenario;

/// One Sonnet stream, RPM the only binding limit (`rpm`), Poisson arrivals
/// at `load_per_min`; `strategies` is the YAML list.
fn fleet_scenario(rpm: u64, load_per_min: u64, minutes: u64, strategies: &str) -> Scenario {
    scenario(&format!(
        r#"
name: fleet
seed: 5
duration: {minutes}m
drain: 0s
pools:
  sonnet-4: {{rpm: {rpm}, itpm: 100000000, otpm: 100000000}}
latency:
  network_rtt: 10ms
  noise_sigma: 0
  models:
    claude-sonnet-4-5: {{ttft: 1ms, output_tokens_per_s: 100000}}
streams:
  - name: main
    model: claude-sonnet-4-5
    arrivals: {{poisson: {{rate_per_min: {load_per_min}}}}}
    input_tokens: 200
    output_tokens: 100
    max_tokens: 200
    deadline: 1m
strategies:
{strategies}
"#
    ))
}

/// Attempts the server admitted (whatever happened to them afterwards).
fn admitted(m: &RunMetrics) -> u64 {
    m.series.totals().iter().map(|b| b.requests).sum()
}

fn total_429(m: &RunMetrics) -> u64 {
    m.total().rate_limited.iter().sum()
}

#[test]
fn n_replicas_pacing_at_f_admit_min_nf_1_of_the_limit() {
    // Each replica's bucket holds one minute at f × limit and starts full,
    // as does the server's at the limit, so over T minutes of 3× overload
    // the fleet admits min(N·f, 1) × limit × (T + 1), whatever the split.
    let (rpm, minutes) = (600u64, 30u64);
    for (n, f) in [(1u32, 0.5f64), (4, 0.2), (12, 0.05), (12, 0.8), (3, 0.5)] {
        let s = fleet_scenario(
            rpm,
            3 * rpm,
            minutes,
            &format!(
                "  - name: fleet\n    preset: token_bucket\n    pacing: {{token_bucket: {{fraction: {f}}}}}\n    clients: {{replicas: {n}}}\n"
            ),
        );
        let m = run_strategy(&s, named(&s, "fleet"));
        let share = (n as f64 * f).min(1.0);
        let expected = share * rpm as f64 * (minutes + 1) as f64;
        let got = admitted(&m) as f64;
        assert!(
            (got - expected).abs() <= 0.01 * expected,
            "{n} replicas at {f}: admitted {got}, expected {expected}"
        );
        assert_eq!(m.by_replica.len(), if n > 1 { n as usize } else { 0 });
        // Below the limit the replicas' own pacing is what binds: no 429s.
        if share < 1.0 {
            assert_eq!(total_429(&m), 0, "{n} replicas at {f}");
        }
    }
}

#[test]
fn a_budget_split_across_pods_never_draws_a_429() {
    // 12 pods, 90 % of the limit split across them: their buckets together
    // never hold more than 90 % of the server's, so even 1.5× steady
    // overload cannot draw a 429. The same 90 % on every pod (the runbook
    // copied to each) lets the fleet send 10.8× the limit, and it does.
    let s = fleet_scenario(
        600,
        900,
        20,
        "  - name: split
    preset: token_bucket
    pacing: {token_bucket: {fraction: 0.9}}
    clients: {replicas: 12, per_fleet: true}
  - name: each
    preset: token_bucket
    pacing: {token_bucket: {fraction: 0.9}}
    clients: {replicas: 12}
",
    );
    let split = run_strategy(&s, named(&s, "split"));
    let each = run_strategy(&s, named(&s, "each"));
    assert_eq!(total_429(&split), 0);
    assert!(total_429(&each) > 1_000, "{}", total_429(&each));
    // And split admits its 90 %: 0.9 × 600 × 21 minutes within 1 %.
    let expected = 0.9 * 600.0 * 21.0;
    let got = admitted(&split) as f64;
    assert!((got - expected).abs() <= 0.01 * expected, "{got}");
}

#[test]
fn a_shared_limiter_adds_exactly_its_round_trip_to_every_send() {
    // Light load, no noise, constant sizes: every request takes the same
    // time, and clearing it with a limiter 2 ms away adds exactly 2 ms.
    let limiter = "
  - name: shared
    preset: exponential_backoff
    clients: {replicas: 4}
    coordination: {shared_limiter: {rtt: 2ms, fraction: 1.0}}
  - name: alone
    preset: exponential_backoff
    clients: {replicas: 4}
";
    let s = fleet_scenario(600, 60, 10, limiter);
    let shared = run_strategy(&s, named(&s, "shared")).total();
    let alone = run_strategy(&s, named(&s, "alone")).total();
    assert_eq!(shared.requests, alone.requests);
    assert_eq!(shared.succeeded, shared.requests);
    assert_eq!(shared.attempts, alone.attempts);
    assert_eq!(shared.throttled_locally, 0);
    // Every latency is the same value: 10 ms round trip + 1 ms first token
    // + 1 ms of output, then + 2 ms with the limiter. (The histogram keeps
    // 3 significant digits: 8 µs buckets here, each read at its low end.)
    let range = |h: &hdrhistogram::Histogram<u64>| {
        (h.lowest_equivalent(h.min()), h.lowest_equivalent(h.max()))
    };
    assert_eq!(range(&alone.latency_us), (12_000, 12_000));
    assert_eq!(
        range(&shared.latency_us),
        (14_000, 14_000),
        "every request pays the limiter's round trip once"
    );
}

#[test]
fn failing_closed_during_an_outage_sends_nothing() {
    let s = fleet_scenario(
        600,
        300,
        5,
        "  - name: closed
    preset: exponential_backoff
    clients: {replicas: 6}
    coordination:
      shared_limiter: {rtt: 2ms, fraction: 0.9, outage: [{start: 60s, end: 120s}], on_outage: fail_closed}
  - name: open
    preset: exponential_backoff
    clients: {replicas: 6}
    coordination:
      shared_limiter: {rtt: 2ms, fraction: 0.9, outage: [{start: 60s, end: 120s}], on_outage: fail_open}
",
    );
    let sends_in = |m: &RunMetrics, from_s: u64, to_s: u64| -> u64 {
        let s = &m.series;
        (0..s.len())
            .filter(|&i| {
                let t = s.start(i).as_secs_f64();
                t >= from_s as f64 && t < to_s as f64
            })
            .map(|i| s.pool(i, 0).attempts)
            .sum()
    };
    let closed = run_strategy(&s, named(&s, "closed"));
    let open = run_strategy(&s, named(&s, "open"));
    assert_eq!(closed.series.width().as_secs_f64(), 1.0);
    // A request cleared just before 60 s goes out 2 ms later, in the 60 s
    // bucket; from 61 s to the end of the outage nothing is sent.
    assert_eq!(sends_in(&closed, 61, 120), 0);
    assert!(sends_in(&closed, 0, 60) > 0);
    assert!(sends_in(&closed, 120, 300) > 0);
    // Failing open keeps sending through the outage (5 per second).
    assert!(
        sends_in(&open, 61, 120) > 200,
        "{}",
        sends_in(&open, 61, 120)
    );
    // Every denial was counted, none reached the provider.
    assert!(closed.total().throttled_locally > 200);
}

#[test]
fn one_replica_is_the_single_client() {
    // `clients: {replicas: 1}` written out is the default, result for result.
    let s = fleet_scenario(
        600,
        900,
        10,
        "  - name: default
    preset: header_driven
  - name: one
    preset: header_driven
    clients: {replicas: 1, balance: least_loaded}
",
    );
    let a = run_strategy(&s, named(&s, "default"));
    let b = run_strategy(&s, named(&s, "one"));
    assert_eq!(a.events, b.events);
    assert_eq!(a.total().attempts, b.total().attempts);
    assert_eq!(a.total().latency_us, b.total().latency_us);
    assert!(b.by_replica.is_empty());
}

#[test]
fn replicas_see_only_their_own_work() {
    // Round robin over 3 replicas gives each a third of the requests (±1),
    // and the per-replica counts add up to the totals.
    let s = fleet_scenario(
        600,
        900,
        10,
        "  - name: rr
    preset: header_driven
    clients: {replicas: 3, balance: round_robin}
",
    );
    let m = run_strategy(&s, named(&s, "rr"));
    let t = m.total();
    let reqs: Vec<u64> = m.by_replica.iter().map(|r| r.requests).collect();
    assert_eq!(reqs.iter().sum::<u64>(), t.requests);
    assert!(
        reqs.iter().max().unwrap() - reqs.iter().min().unwrap() <= 1,
        "{reqs:?}"
    );
    assert_eq!(
        m.by_replica.iter().map(|r| r.attempts).sum::<u64>(),
        t.attempts
    );
    assert_eq!(
        m.by_replica.iter().map(|r| r.succeeded).sum::<u64>(),
        t.succeeded
    );
    assert_eq!(
        m.by_replica.iter().map(|r| r.rate_limited).sum::<u64>(),
        t.rate_limited.iter().sum::<u64>()
    );
}

#[test]
fn sweep_can_set_replicas_on_a_bare_preset() {
    use ratesim::analysis::sweep::set_param;
    let mut doc = serde_json::json!({"strategies": ["token_bucket"]});
    set_param(
        &mut doc,
        "strategy.token_bucket.replicas",
        serde_json::json!(12),
    )
    .unwrap();
    set_param(
        &mut doc,
        "strategy.token_bucket.per_fleet",
        serde_json::json!(true),
    )
    .unwrap();
    assert_eq!(
        doc["strategies"][0],
        serde_json::json!({
            "name": "token_bucket",
            "preset": "token_bucket",
            "clients": {"replicas": 12, "per_fleet": true}
        })
    );
}

#[test]
fn fleet_settings_out_of_range_point_at_the_value() {
    let bad = [
        (
            "clients: {replicas: 0}",
            "bad.yaml:8:",
            "clients.replicas must be in 1..=1000, got 0",
        ),
        (
            "coordination: {shared_limiter: {fraction: 1.5}}",
            "bad.yaml:8:",
            "coordination.shared_limiter.fraction must be in (0, 1], got 1.5",
        ),
        (
            "coordination: {shared_limiter: {outage: [{start: 2m, end: 1m}]}}",
            "bad.yaml:8:",
            "an outage window needs end > start",
        ),
        (
            "queue: {discipline: stack}",
            "bad.yaml:8:",
            "unknown variant `stack`",
        ),
        (
            "queue: {shed: {older_than: 0s}}",
            "bad.yaml:8:",
            "queue.shed.older_than must be > 0",
        ),
    ];
    for (entry, line, message) in bad {
        let yaml = format!(
            "name: bad\nduration: 1m\nstreams:\n  - {{name: a, model: claude-sonnet-4-5, arrivals: {{poisson: {{rate_per_min: 1}}}}, input_tokens: 10, output_tokens: 10, max_tokens: 10}}\nstrategies:\n  - name: s\n    preset: token_bucket\n    {entry}\n"
        );
        let err = ratesim::scenario::Scenario::from_yaml_str("bad.yaml", &yaml)
            .err()
            .unwrap_or_else(|| panic!("{entry} should be refused"))
            .to_string();
        assert!(
            err.contains(line) && err.contains(message),
            "{entry}: {err}"
        );
    }
}
