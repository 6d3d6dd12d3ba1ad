//! Each example in `scenarios/` shows the effect it is named for. These tests
//! pin that effect, so an example can never silently stop demonstrating it.

mod common;

use std::path::Path;

use common::fixtures;
use ratesim::report::StrategyResult;
use ratesim::scenario::Scenario;
use ratesim::sim;

fn load(name: &str) -> Scenario {
    fixtures::load(Path::new("scenarios").join(name))
}

fn results(s: &Scenario) -> Vec<StrategyResult> {
    s.strategies
        .iter()
        .map(|spec| StrategyResult::new(s, spec, &sim::run(&s.sim, spec).unwrap()))
        .collect()
}

fn by_name<'a>(r: &'a [StrategyResult], name: &str) -> &'a StrategyResult {
    r.iter().find(|x| x.strategy == name).unwrap()
}

#[test]
fn rag_caching_cuts_itpm_429s_and_cost_against_caching_off() {
    let on = load("rag-caching.yaml");
    let mut off = on.clone();
    // "Off": every prefix is below the model's minimum, so it is processed
    // uncached, exactly as if it were part of the input.
    for m in &mut off.sim.provider.models {
        m.min_cacheable_tokens = u64::MAX;
    }
    let (on, off) = (results(&on), results(&off));
    for (a, b) in on.iter().zip(&off) {
        assert!(
            a.cache.hit_rate > 0.8,
            "{}: {}",
            a.strategy,
            a.cache.hit_rate
        );
        assert_eq!(b.cache.hits + b.cache.misses, 0);
        assert!(
            a.total.rate_limited.itpm < b.total.rate_limited.itpm
                || (b.total.rate_limited.itpm == 0 && b.total.failed > a.total.failed),
            "{}: ITPM 429s {} cached vs {} uncached",
            a.strategy,
            a.total.rate_limited.itpm,
            b.total.rate_limited.itpm
        );
        // Per success: a pacing client serves fewer requests uncached.
        let per = |x: &StrategyResult| x.total.cost_usd / x.total.succeeded as f64;
        assert!(
            per(a) < 0.6 * per(b),
            "{}: {} vs {}",
            a.strategy,
            per(a),
            per(b)
        );
        assert!(a.cache.cost_saved_usd > 0.0);
    }
    // Uncached, the naive client hits the ITPM limit hard.
    assert!(by_name(&off, "exponential_backoff").total.rate_limited.itpm > 1000);
    assert_eq!(
        by_name(&on, "exponential_backoff").total.rate_limited.itpm,
        0
    );
}

#[test]
fn routing_fallback_serves_the_overflow_from_haiku() {
    let r = results(&load("routing-fallback.yaml"));
    let only = by_name(&r, "sonnet-only");
    let fallback = by_name(&r, "fallback-on-429");
    let spill = by_name(&r, "bucket-spill");
    assert!(only.total.failed > 500);
    assert_eq!(fallback.total.failed, 0);
    assert_eq!(spill.total.failed, 0);
    assert_eq!(spill.total.rate_limited.total, 0);
    assert!(fallback.total.routed_away > 0 && spill.total.routed_away > 0);
    assert!(spill.total.cost_usd < fallback.total.cost_usd);
}

#[test]
fn nightly_evals_offloaded_to_batch_spare_the_chat_users_and_cost_half() {
    let r = results(&load("batch-nightly-evals.yaml"));
    let inline = by_name(&r, "exponential_backoff");
    let offload = by_name(&r, "batch_offload");
    assert_eq!(offload.batch.requests, 20_000);
    assert_eq!(offload.batch.succeeded, 20_000);
    assert!((offload.batch.savings_usd - offload.batch.cost_usd).abs() < 1e-6);
    let (ci, co) = (
        &inline.by_class["interactive"],
        &offload.by_class["interactive"],
    );
    assert!(ci.rate_limited.total > 100);
    assert_eq!(co.rate_limited.total, 0);
    assert!(co.latency_ms.p99.unwrap() < ci.latency_ms.p99.unwrap());
    assert!(
        inline.by_class["background"].failed > 10_000,
        "most evals give up inline"
    );
}

#[test]
fn workspace_caps_contain_each_teams_bursts() {
    let r = results(&load("workspaces-tier2.yaml"));
    for x in &r {
        // Every 429 comes from a workspace cap, never the org's pool.
        assert_eq!(
            x.total.rate_limited.by_workspace_cap,
            x.total.rate_limited.total
        );
    }
    let backoff = by_name(&r, "exponential_backoff");
    assert!(backoff.by_class["interactive"].rate_limited.total > 0);
    assert!(backoff.by_class["background"].rate_limited.total > 0);
}

#[test]
fn fleet_pods_shows_what_each_pod_setting_does() {
    let r = results(&load("fleet-pods.yaml"));
    let each = by_name(&r, "pods-80-each");
    let split = by_name(&r, "pods-80-split");
    let lifo = by_name(&r, "pods-split-lifo");
    let header = by_name(&r, "pods-header");
    let shared = by_name(&r, "pods-shared");
    let attain = |x: &StrategyResult| x.total.slo_attainment.flatten().unwrap();
    // Every pod at 80 % is no pacing at all: a 429 storm, over one per request.
    assert!(each.total.rate_limited.total > each.total.requests);
    // Split across the pods: no 429s; FIFO then fails the SLO most.
    assert_eq!(split.total.rate_limited.total, 0);
    assert!(r.iter().all(|x| attain(split) <= attain(x)));
    // Newest first and shedding stale work recover most of it, still no 429s,
    // one attempt per success.
    assert_eq!(lifo.total.rate_limited.total, 0);
    assert_eq!(lifo.total.attempts, lifo.total.succeeded);
    assert!(attain(lifo) > attain(split) + 0.25);
    // Header-driven pods react in step: more 429s than no pacing at all.
    assert!(header.total.rate_limited.total > each.total.rate_limited.total);
    // The shared limiter's 429s are its outage's; it beats the split budget.
    assert!(shared.total.rate_limited.total < each.total.rate_limited.total / 5);
    assert!(attain(shared) > attain(lifo));
    // Round robin: the pods' request counts differ by at most one.
    for x in &r {
        let s = x.replica_spread.unwrap();
        assert!(s.requests_max - s.requests_min <= 1, "{}", x.strategy);
        assert_eq!(x.by_replica.len(), 12);
    }
}
