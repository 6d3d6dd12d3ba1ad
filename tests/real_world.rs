//! The real-world model: emergent prompt caching, workspaces, acceleration
//! limits and random overload episodes, each against a closed form or a
//! hand-worked expectation.

mod common;

use common::fixtures::load;
use common::sim::{run_strategy, scenario};
use ratesim::report::{Report, StrategyResult};
use ratesim::scenario::Scenario;

fn result(s: &Scenario, i: usize) -> StrategyResult {
    let spec = &s.strategies[i];
    StrategyResult::new(s, spec, &run_strategy(s, spec))
}

/// One stream at `rate` per minute on a tier-4 pool (no limit binds), with
/// a cacheable prefix block `cache`.
fn cached(rate: f64, duration: &str, cache: &str) -> String {
    format!(
        r#"
name: cache
seed: 21
duration: {duration}
tier: tier4
latency:
  network_rtt: 0ms
  models:
    claude-sonnet-4-5: {{ttft: 100ms, output_tokens_per_s: 1000}}
streams:
  - name: bot
    model: claude-sonnet-4-5
    arrivals: {{poisson: {{rate_per_min: {rate}}}}}
    input_tokens: 100
    output_tokens: 10
    max_tokens: 100
    prompt_cache: {cache}
strategies: [exponential_backoff]
"#
    )
}

#[test]
fn hit_rate_emerges_from_traffic_and_ttl() {
    // One prefix, Poisson arrivals at λ per minute, TTL T: a request hits iff
    // the previous one came less than T earlier (every use refreshes the
    // TTL), so the hit rate is 1 − e^{−λT}.
    for (rate, ttl, ttl_min) in [(0.2, "5m", 5.0), (0.05, "5m", 5.0), (0.05, "1h", 60.0)] {
        let s = scenario(&cached(
            rate,
            "300h",
            &format!("{{prefix_tokens: 20000, ttl: {ttl}}}"),
        ));
        let c = result(&s, 0).cache;
        let expected = 1.0 - (-rate * ttl_min).exp();
        assert!(
            (c.hit_rate - expected).abs() < 0.04,
            "λ={rate}/min T={ttl}: hit rate {} vs 1 − e^(−λT) = {expected:.3}",
            c.hit_rate
        );
        assert_eq!(c.read_tokens, c.hits * 20_000);
        assert_eq!(c.write_tokens, c.misses * 20_000);
    }
}

#[test]
fn more_prefixes_share_the_traffic_and_hit_less() {
    // Four equally popular prefixes: each sees λ/4.
    let s = scenario(&cached(
        0.4,
        "300h",
        "{prefix_tokens: 20000, prefixes: 4, popularity: uniform}",
    ));
    let c = result(&s, 0).cache;
    let expected = 1.0 - (-0.1f64 * 5.0).exp();
    assert!(
        (c.hit_rate - expected).abs() < 0.04,
        "{} vs {expected}",
        c.hit_rate
    );
    // Zipf concentrates traffic on the first prefix: a higher hit rate.
    let z = scenario(&cached(
        0.4,
        "300h",
        "{prefix_tokens: 20000, prefixes: 4, popularity: {zipf: 1.5}}",
    ));
    assert!(result(&z, 0).cache.hit_rate > c.hit_rate + 0.05);
}

#[test]
fn explicit_hit_rate_overrides_the_emergent_one() {
    let s = scenario(&cached(
        10.0,
        "2h",
        "{prefix_tokens: 20000, hit_rate: 0.25}",
    ));
    let c = result(&s, 0).cache;
    assert!((c.hit_rate - 0.25).abs() < 0.03, "{}", c.hit_rate);
}

#[test]
fn prefixes_below_the_minimum_are_not_cached() {
    let s = scenario(&cached(10.0, "30m", "{prefix_tokens: 500}"));
    let r = result(&s, 0);
    assert_eq!((r.cache.hits, r.cache.misses), (0, 0));
    // The 500 tokens are billed as ordinary input.
    assert_eq!(r.total.tokens.input, r.total.succeeded * 600);
}

#[test]
fn one_hour_writes_cost_twice_the_input_price() {
    // A single request: a cold 1 h write of 20,000 tokens on Sonnet 4.5
    // ($3/MTok input, $6/MTok 1 h write, $15/MTok output).
    let yaml = cached(0.0, "1m", "{prefix_tokens: 20000, ttl: 1h}").replace(
        "arrivals: {poisson: {rate_per_min: 0}}",
        "spikes: [{at: 1s, count: 1}]",
    );
    let r = result(&scenario(&yaml), 0);
    assert_eq!(r.total.tokens.cache_write_1h, 20_000);
    let expected = (100.0 * 3.0 + 20_000.0 * 6.0 + 10.0 * 15.0) / 1e6;
    assert!(
        (r.total.cost_usd - expected).abs() < 1e-9,
        "{} vs {expected}",
        r.total.cost_usd
    );
    // Against 20,100 uncached input tokens, the write cost 20,000 × $3 more.
    assert!((r.cache.cost_saved_usd + 20_000.0 * 3.0 / 1e6).abs() < 1e-9);
}

/// A tier-2 RAG bot: 20,000-token system prompt plus 3,000 tokens per
/// request, either cached or sent as plain input.
fn rag(with_cache: bool) -> Scenario {
    let (input, cache) = if with_cache {
        (3000, "prompt_cache: {prefix_tokens: 20000}")
    } else {
        (23000, "")
    };
    scenario(&format!(
        r#"
name: rag
seed: 4
duration: 1h
tier: tier2
streams:
  - name: bot
    model: claude-sonnet-4-5
    arrivals: {{poisson: {{rate_per_min: 30}}}}
    input_tokens: {input}
    output_tokens: {{lognormal: {{median: 300, sigma: 0.4}}}}
    max_tokens: 1024
    {cache}
strategies: [exponential_backoff]
"#
    ))
}

#[test]
fn caching_cuts_itpm_429s_and_cost() {
    let on = result(&rag(true), 0);
    let off = result(&rag(false), 0);
    // 30/min × 23,000 = 690,000 ITPM uncached against a 450,000 limit.
    assert!(
        off.total.rate_limited.itpm > 100,
        "{}",
        off.total.rate_limited.itpm
    );
    assert!(
        on.total.rate_limited.itpm * 10 < off.total.rate_limited.itpm,
        "cached {} vs uncached {}",
        on.total.rate_limited.itpm,
        off.total.rate_limited.itpm
    );
    assert!(on.total.cost_usd < off.total.cost_usd * 0.6);
    assert!(on.cache.hit_rate > 0.95);
    assert_eq!(on.cache.itpm_relief_tokens, on.cache.read_tokens);
    assert!(on.cache.cost_saved_usd > 0.0);
}

/// Two streams on one Sonnet pool (60 RPM org): `capped` in a workspace with
/// `ws_rpm`, `free` outside any workspace.
fn workspace_scenario(ws_rpm: u64, rate: f64) -> Scenario {
    scenario(&format!(
        r#"
name: ws
seed: 8
duration: 30m
drain: 30m
pools:
  sonnet-4: {{rpm: 60, itpm: 10000000, otpm: 10000000}}
workspaces:
  - name: team
    limits:
      sonnet-4: {{rpm: {ws_rpm}}}
classes: [capped, free]
streams:
  - name: capped
    model: claude-sonnet-4-5
    class: capped
    workspace: team
    arrivals: {{poisson: {{rate_per_min: {rate}}}}}
    input_tokens: 100
    output_tokens: 10
  - name: free
    model: claude-sonnet-4-5
    class: free
    arrivals: {{poisson: {{rate_per_min: 20}}}}
    input_tokens: 100
    output_tokens: 10
strategies:
  - name: no-retry
    preset: exponential_backoff
    retry: none
"#
    ))
}

#[test]
fn a_workspace_cap_binds_inside_the_org_limit() {
    // The team asks for 40/min against its 10 RPM cap; the org has 60.
    let s = workspace_scenario(10, 40.0);
    let m = run_strategy(&s, &s.strategies[0]);
    let capped = &m.classes[0];
    // Token bucket: at most capacity + rate × time = 10 + 10 × 30 admissions.
    assert!(capped.succeeded <= 10 + 10 * 30, "{}", capped.succeeded);
    assert!(capped.succeeded >= 10 * 30 - 10, "{}", capped.succeeded);
    assert!(capped.rate_limited[0] > 500);
    // The other team still fits in the org's remaining 50/min.
    let free = &m.classes[1];
    assert_eq!(free.failed_total(), 0, "{:?}", free.failed);
}

#[test]
fn the_org_limit_binds_even_when_workspace_caps_add_up_to_more() {
    // Workspace cap 100 > org 60: the org limit is what binds.
    let s = workspace_scenario(100, 80.0);
    let m = run_strategy(&s, &s.strategies[0]);
    let admitted = m.total().succeeded;
    assert!(admitted <= 60 + 60 * 30, "{admitted}");
    assert!(admitted >= 60 * 30 - 60, "{admitted}");
}

#[test]
fn acceleration_limit_rejects_a_sharp_ramp_below_the_rpm_limit() {
    let base = |accel: &str| {
        scenario(&format!(
            r#"
name: accel
seed: 2
duration: 10m
tier: tier4
{accel}
streams:
  - name: ramp
    model: claude-sonnet-4-5
    arrivals: {{poisson: {{rate_per_min: 5}}}}
    spikes: [{{at: 5m, count: 300, over: 30s}}]
    input_tokens: 100
    output_tokens: 10
strategies:
  - name: no-retry
    preset: exponential_backoff
    retry: none
"#
        ))
    };
    let off = base("");
    let on = base("acceleration: {window: 1m, baseline: 5m, max_ratio: 3, floor_rpm: 30}");
    let off_m = run_strategy(&off, &off.strategies[0]).total();
    let on_m = run_strategy(&on, &on.strategies[0]).total();
    assert_eq!(off_m.failed_total(), 0, "4,000 RPM absorbs the spike");
    let accel = on_m.rate_limited[ratesim::model::Dimension::Acceleration.index()];
    // At most max(30, 3 × ~5) = 30 per minute get through around the spike.
    assert!(accel > 200, "{accel}");
    assert_eq!(accel, on_m.rate_limited.iter().sum::<u64>());
}

#[test]
fn random_overload_episodes_cover_their_expected_share_of_time() {
    // Episodes start after exponential gaps (mean 10 min) and last an
    // exponential time (mean 2 min): the share of time overloaded is
    // 2 / (10 + 2). With probability 1 inside episodes and no retries, that
    // is the share of attempts answered 529.
    let s = scenario(
        r#"
name: episodes
seed: 6
duration: 200h
tier: tier4
overload:
  episodes: {mean_interval: 10m, mean_duration: 2m, probability: 1.0}
streams:
  - name: s
    model: claude-haiku-4-5
    arrivals: {poisson: {rate_per_min: 2}}
    input_tokens: 100
    output_tokens: 10
strategies:
  - name: no-retry
    preset: exponential_backoff
    retry: none
"#,
    );
    let t = run_strategy(&s, &s.strategies[0]).total();
    let share = t.overloaded as f64 / t.attempts as f64;
    assert!((share - 2.0 / 12.0).abs() < 0.02, "{share}");
}

#[test]
fn report_json_has_cache_and_by_model_sections() {
    let s = rag(true);
    let spec = &s.strategies[0];
    let report = Report::new(
        &s,
        vec![StrategyResult::new(&s, spec, &run_strategy(&s, spec))],
    );
    let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
    let r = &v["results"][0];
    assert!(r["cache"]["hit_rate"].as_f64().unwrap() > 0.9);
    assert_eq!(r["by_model"][0]["model"], "claude-sonnet-4-5");
    assert_eq!(r["by_model"][0]["share_of_successes"], 1.0);
}

fn routing() -> Scenario {
    load("scenarios/routing-fallback.yaml")
}

#[test]
fn fallback_on_429_resends_each_rejection_once_to_the_next_model() {
    let s = routing();
    let m = run_strategy(&s, &s.strategies[1]);
    let (sonnet, haiku) = (m.by_model[0], m.by_model[1]);
    // Haiku's pool (50 RPM) absorbs the ~20/min overflow: each Sonnet 429
    // becomes exactly one Haiku attempt, and every one succeeds.
    assert!(sonnet.rate_limited > 500);
    assert_eq!(haiku.attempts, sonnet.rate_limited);
    assert_eq!(haiku.succeeded, haiku.attempts);
    let t = m.total();
    assert_eq!(t.routed_away, haiku.succeeded);
    assert_eq!(t.failed_total(), 0);
}

#[test]
fn spill_over_uses_the_fallback_when_the_client_budget_is_spent() {
    let s = routing();
    let r = result(&s, 2);
    assert_eq!(
        r.total.rate_limited.total, 0,
        "pacing keeps both pools clear"
    );
    // The client allows itself 80 % of Sonnet's 50 RPM = 40/min out of 70/min
    // offered, so about 30/70 of the traffic spills to Haiku.
    let share = r.by_model[1].share_of_successes;
    assert!((share - 30.0 / 70.0).abs() < 0.05, "{share}");
    // Haiku is cheaper per token, so spilling costs less than Sonnet only.
    let sonnet_only = result(&s, 0);
    assert!(
        r.total.cost_usd / (r.total.succeeded as f64)
            < sonnet_only.total.cost_usd / (sonnet_only.total.succeeded as f64)
    );
}

#[test]
fn routing_false_ignores_the_router() {
    let s = routing();
    let m = run_strategy(&s, &s.strategies[0]);
    assert_eq!(m.by_model[1].attempts, 0);
    assert_eq!(m.total().routed_away, 0);
}

fn evals(extra_batch: &str, offload: &str) -> Scenario {
    scenario(&format!(
        r#"
name: evals
seed: 31
duration: 30m
drain: 30h
tier: tier2
batch: {{turnaround: {{median: 40m, sigma: 0.8}}{extra_batch}}}
classes: [interactive, background]
streams:
  - name: chat
    model: claude-sonnet-4-5
    class: interactive
    arrivals: {{poisson: {{rate_per_min: 20}}}}
    input_tokens: 1000
    output_tokens: 100
  - name: evals
    model: claude-sonnet-4-5
    class: background
    spikes: [{{at: 1m, count: 3000, over: 1m}}]
    input_tokens: 2000
    output_tokens: 200
strategies:
  - name: offload
    preset: batch_offload
    batch_offload: {offload}
"#
    ))
}

#[test]
fn batch_offload_sends_background_work_at_half_price() {
    let s = evals("", "{max_batch_requests: 1000, flush_every: 1m}");
    let r = result(&s, 0);
    let b = &r.batch;
    assert_eq!((b.requests, b.succeeded, b.expired), (3000, 3000, 0));
    assert_eq!(b.batches, 3, "3,000 requests in batches of 1,000");
    // Half of the list price: Sonnet 4.5 at $3 / $15 per MTok.
    let list = 3000.0 * (2000.0 * 3.0 + 200.0 * 15.0) / 1e6;
    assert!(
        (b.cost_usd - list / 2.0).abs() < 1e-6,
        "{} vs {}",
        b.cost_usd,
        list / 2.0
    );
    assert!((b.savings_usd - list / 2.0).abs() < 1e-6);
    // The background class never touched the Messages API's limits.
    let bg = &r.by_class["background"];
    assert_eq!(bg.rate_limited.total, 0);
    assert_eq!(bg.attempts, 3000);
    // Turnaround stays within the 24 h bound.
    assert!(b.turnaround_s.max.unwrap() <= 24.0 * 3600.0);
    assert!(b.turnaround_s.p50.unwrap() > 0.0);
}

#[test]
fn a_full_processing_queue_makes_batches_wait() {
    // Room for only 1,000 queued batch requests: the second and third batch
    // are answered 429 until the first one's results are back.
    let s = evals(
        ", max_queued_requests: 1000",
        "{max_batch_requests: 1000, flush_every: 1m}",
    );
    let r = result(&s, 0);
    assert!(r.batch.rate_limited > 0);
    assert_eq!(r.batch.succeeded, 3000);
}

#[test]
fn batches_past_24_hours_expire_unbilled() {
    // A turnaround of exactly 30 h: each batch of 100 is processed at an
    // even pace, so ⌊100 × 24 / 30⌋ = 80 requests finish within 24 h and 20
    // expire, one by one (the API counts `expired` per request). 3,000
    // requests in 30 batches: 2,400 succeed, 600 expire unbilled; the rest
    // cost (2,000 × $1.50 + 200 × $7.50) per MTok = $0.0045 each.
    let mut s = evals(
        ", per_request: 0ms",
        "{max_batch_requests: 100, flush_every: 1m}",
    );
    if let Some(b) = s.sim.provider.batch.as_mut() {
        b.turnaround_median = ratesim::engine::SimTime::from_secs(30 * 3600);
        b.turnaround_sigma = 0.0;
    }
    let r = result(&s, 0);
    assert_eq!((r.batch.succeeded, r.batch.expired), (2_400, 600));
    assert_eq!(r.by_class["background"].failures.batch_expired, 600);
    assert!(
        (r.batch.cost_usd - 2_400.0 * 0.0045).abs() < 1e-9,
        "{}",
        r.batch.cost_usd
    );
}

#[test]
fn a_stream_can_always_use_the_batch_api() {
    let s = scenario(
        r#"
name: api-batch
duration: 10m
drain: 30h
tier: tier1
streams:
  - name: nightly
    model: claude-haiku-4-5
    api: batch
    spikes: [{at: 1m, count: 50}]
    input_tokens: 100
    output_tokens: 10
strategies: [exponential_backoff]
"#,
    );
    let r = result(&s, 0);
    assert_eq!(r.batch.succeeded, 50);
    assert_eq!(r.by_model[0].attempts, 0, "no Messages API attempts");
}
