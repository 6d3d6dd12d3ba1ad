//! Replications, saved baselines, assertions and `compare` from the command
//! line: exit codes, messages, determinism.

mod common;

use common::cli::run;
use common::fixtures::{GOOD, read, scenario_copy};

#[test]
fn replications_give_means_and_intervals_independent_of_threads() {
    let (c1, one, _) = run(&[
        "simulate", GOOD, "-n", "6", "--jobs", "1", "--format", "json",
    ]);
    let (c2, two, _) = run(&[
        "simulate", GOOD, "-n", "6", "--jobs", "2", "--format", "json",
    ]);
    assert_eq!((c1, c2), (Some(0), Some(0)));
    assert!(one == two, "thread count changed the output");
    let v: serde_json::Value = serde_json::from_str(&one).unwrap();
    assert_eq!(v["replications"], 6);
    let r = &v["results"][0];
    let ci = r["ci95"]["latency_ms.p99"].as_array().unwrap();
    let mean = r["latency_ms"]["p99"].as_f64().unwrap();
    let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
    assert!(lo <= mean && mean <= hi, "{lo} <= {mean} <= {hi}");
    assert!(lo < hi, "six different seeds give different p99s");
}

#[test]
fn one_replication_is_exactly_a_plain_run() {
    let (_, plain, _) = run(&["simulate", GOOD, "--format", "json"]);
    let (_, one, _) = run(&["simulate", GOOD, "-n", "1", "--format", "json"]);
    assert!(plain == one);
}

#[test]
fn failing_assertions_exit_1_and_say_by_how_much() {
    let (code, out, _) = run(&["simulate", GOOD, "--assert", "latency_ms.p99 < 1"]);
    assert_eq!(code, Some(1));
    assert!(out.contains("FAIL"), "{out}");
    assert!(out.contains("is not < 1 (over by"), "{out}");
    let (code, out, _) = run(&[
        "simulate",
        GOOD,
        "--assert",
        "exponential_backoff: requests > 0",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("1 passed, 0 failed"), "{out}");
}

#[test]
fn malformed_assertions_exit_2_with_their_column() {
    let (code, _, err) = run(&["simulate", GOOD, "--assert", "latency_ms.p99 <> 3"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("column 16"), "{err}");
    assert!(err.contains("^"), "{err}");
    let (code, _, err) = run(&["simulate", GOOD, "--assert", "nosuch: failed == 0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("no strategy `nosuch`"), "{err}");
    let (code, _, err) = run(&["simulate", GOOD, "--assert", "cost_usd < 1.1 * baseline"]);
    assert_eq!(code, Some(2), "baseline without --against is a usage error");
    assert!(err.contains("--against"), "{err}");
}

#[test]
fn an_assert_block_error_points_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let f = scenario_copy(dir.path(), "bad.yaml", GOOD, |text| {
        text + "assert:\n  - \"latency_ms.p99 << 5\"\n"
    });
    let line = read(&f).lines().count();
    let (code, _, err) = run(&["validate", f.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    // The value starts at column 5 (after `  - "`), the bad `<<` at 16 of
    // the expression: column 5 + 16 = 21 in the file.
    assert!(err.contains(&format!("bad.yaml:{line}:21:")), "{err}");
}

#[test]
fn saved_baselines_gate_later_runs() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("main.json");
    let b = base.to_str().unwrap();
    let (code, _, err) = run(&["simulate", GOOD, "-n", "4", "--save-baseline", b]);
    assert_eq!(code, Some(0), "{err}");
    // Refuses to overwrite without --force.
    let (code, _, err) = run(&["simulate", GOOD, "-n", "4", "--save-baseline", b]);
    assert_eq!(code, Some(2), "{err}");
    // Unchanged scenario against its own baseline: nothing changes.
    let (code, out, err) = run(&["compare", GOOD, "--against", b]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("gate: PASS"), "{out}");
    assert!(out.contains("0 [0, 0]"), "{out}");
    // An assertion relative to the baseline.
    // (Four replications: the same seeds, so the same means.)
    let (code, out, _) = run(&[
        "simulate",
        GOOD,
        "-n",
        "4",
        "--against",
        b,
        "--assert",
        "cost_usd <= 1.0001 * baseline",
    ]);
    assert_eq!(code, Some(0), "{out}");
    let (code, out, _) = run(&[
        "simulate",
        GOOD,
        "-n",
        "4",
        "--against",
        b,
        "--assert",
        "cost_usd < 0.5 * baseline",
    ]);
    assert_eq!(code, Some(1), "{out}");
}

#[test]
fn compare_json_has_a_verdict_per_metric() {
    let (code, out, _) = run(&[
        "compare",
        GOOD,
        "--baseline",
        "naive_retry",
        "--candidate",
        "exponential_backoff",
        "-n",
        "5",
        "--format",
        "json",
    ]);
    assert!(code == Some(0) || code == Some(1));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let c = &v["comparisons"][0];
    assert_eq!(c["baseline"], "naive_retry");
    let metrics = c["metrics"].as_array().unwrap();
    assert!(metrics.iter().any(|m| m["metric"] == "latency_ms.p99"));
    for m in metrics {
        let verdict = m["verdict"].as_str().unwrap();
        assert!(["better", "worse", "no_significant_change"].contains(&verdict));
    }
    assert_eq!(
        code == Some(1),
        !c["regressions"].as_array().unwrap().is_empty()
    );
    let (code, _, err) = run(&["compare", GOOD, "--baseline", "naive_retry"]);
    assert_eq!(code, Some(2), "{err}");
}
