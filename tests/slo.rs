//! `slo:` and `slo_attainment`: the share of *all* logical requests that met
//! their class's rule, checked against hand counts on a trace whose
//! latencies are known exactly.

mod common;

use std::path::PathBuf;

use common::cli::run;
use common::fixtures::load;
use ratesim::report::{Report, StrategyResult};
use ratesim::sim;

/// Ten interactive requests of 100…1,000 output tokens, 30 s apart (no
/// limit ever bites), whose latency is 1 s to first token plus output at
/// 100 tokens/s, no network time and no noise: 2 s, 3 s, …, 11 s. One more
/// interactive request asks for 40,000 input tokens, more than tier 1's
/// 30,000 ITPM bucket holds, so it can never succeed. Three background
/// requests of 2,000 output tokens take 21 s each.
fn trace_scenario(slo: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("timestamp,class,input_tokens,output_tokens,max_tokens\n");
    for i in 1..=10u64 {
        csv.push_str(&format!("{},interactive,100,{},2000\n", i * 30, i * 100));
    }
    csv.push_str("330,interactive,40000,100,2000\n");
    for t in [345, 375, 405] {
        csv.push_str(&format!("{t},background,100,2000,2000\n"));
    }
    std::fs::write(dir.path().join("rows.csv"), csv).unwrap();
    let yaml = format!(
        "name: slo-hand-count
duration: 10m
drain: 5m
tier: tier1
classes: [interactive, background]
latency:
  network_rtt: 0s
  noise_sigma: 0
  models:
    claude-sonnet-4-5: {{ttft: 1s, output_tokens_per_s: 100}}
streams:
  - name: rows
    model: claude-sonnet-4-5
    class: interactive
    trace: rows.csv
strategies: [exponential_backoff]
{slo}"
    );
    let path = dir.path().join("slo.yaml");
    std::fs::write(&path, yaml).unwrap();
    (dir, path)
}

fn result(slo: &str) -> StrategyResult {
    let (_dir, path) = trace_scenario(slo);
    let s = load(&path);
    let m = sim::run(&s.sim, &s.strategies[0]).unwrap();
    StrategyResult::new(&s, &s.strategies[0], &m)
}

#[test]
fn attainment_counts_failures_as_misses_and_skips_excluded_classes() {
    let r = result("slo:\n  latency: 6s\n  classes:\n    background: {exclude: true}\n");
    // Interactive: 2 s … 6 s meet 6 s (five), 7 s … 11 s miss (five), and
    // the oversized request fails: 5 of 11.
    let interactive = &r.by_class["interactive"];
    assert_eq!(interactive.requests, 11);
    assert_eq!(interactive.succeeded, 10);
    assert_eq!(interactive.slo_attainment, Some(Some(round6(5.0 / 11.0))));
    // Background is not judged: it has no attainment, and the total is
    // interactive's alone.
    assert_eq!(r.by_class["background"].slo_attainment, None);
    assert_eq!(r.total.slo_attainment, Some(Some(round6(5.0 / 11.0))));
    // The success-only p99 ignores the failure altogether.
    assert!(interactive.latency_ms.p99.unwrap() <= 11_100.0);
}

#[test]
fn a_class_held_only_to_success_meets_it_however_slow() {
    let r = result("slo:\n  latency: 6s\n  classes:\n    background: {latency: none}\n");
    assert_eq!(r.by_class["background"].slo_attainment, Some(Some(1.0)));
    // 5 interactive + 3 background met, of 11 + 3.
    assert_eq!(r.total.slo_attainment, Some(Some(round6(8.0 / 14.0))));
}

#[test]
fn a_class_target_overrides_the_default() {
    // Background within 20 s: all three take 21 s and miss.
    let r = result("slo:\n  latency: 30s\n  classes:\n    background: {latency: 20s}\n");
    assert_eq!(r.by_class["background"].slo_attainment, Some(Some(0.0)));
    // Interactive within 30 s: all ten successes meet it; the failure not.
    assert_eq!(
        r.by_class["interactive"].slo_attainment,
        Some(Some(round6(10.0 / 11.0)))
    );
}

#[test]
fn without_an_slo_there_is_no_attainment_anywhere() {
    let r = result("");
    assert_eq!(r.total.slo_attainment, None);
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("slo_attainment"), "{json}");
}

#[test]
fn the_report_states_the_rules_and_the_table_shows_the_share() {
    let (_dir, path) = trace_scenario(
        "slo:\n  latency: 6s\n  attainment: 95%\n  classes:\n    background: {by: \"06:00\"}\n",
    );
    let s = load(&path);
    let m = sim::run(&s.sim, &s.strategies[0]).unwrap();
    let report = Report::new(&s, vec![StrategyResult::new(&s, &s.strategies[0], &m)]);
    let slo = report.slo.as_ref().unwrap();
    assert_eq!(slo.attainment, 0.95);
    assert_eq!(slo.classes["interactive"], "succeeds within 6 s");
    assert_eq!(slo.classes["background"], "succeeds by 06:00");
    let (code, out, err) = run(&["simulate", path.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
    // Background (time zero is midnight) finishes long before 06:00: all
    // three meet it, so 5 + 3 of 14 — 57.14 %.
    let line = out
        .lines()
        .find(|l| l.starts_with("SLO attainment"))
        .unwrap();
    assert!(line.contains("57.14%"), "{line}");
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[test]
fn bad_slo_blocks_point_at_the_value() {
    let cases = [
        (
            "slo:\n  latency: 6s\n  classes:\n    backgroud: {latency: 1m}\n",
            "no stream has class `backgroud`",
        ),
        ("slo:\n  by: \"25:00\"\n", "expected a time of day"),
        ("slo:\n  latency: 6s\n  by: \"06:00\"\n", "not both"),
        ("slo:\n  latency: 6s\n  attainment: 120%\n", "at most 100%"),
        ("slo:\n  attainment: 99%\n", "no class is judged"),
        ("slo:\n  latency: 6\n", "unit"),
        ("start: next tuesday\n", "expected a date"),
    ];
    for (block, want) in cases {
        let (_dir, path) = trace_scenario(block);
        let (code, _, err) = run(&["validate", path.to_str().unwrap()]);
        assert_eq!(code, Some(2), "{block}: {err}");
        assert!(err.contains(want), "{block}: {err}");
        assert!(err.contains("slo.yaml:"), "{block}: no position in {err}");
    }
}
