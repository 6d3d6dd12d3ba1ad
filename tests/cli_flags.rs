//! Flags that mean the same in every subcommand: `--seed` and `--duration`
//! act as if the scenario file said them, `--out` refuses to overwrite
//! without `--force`, and `compare --against` says when the baseline file,
//! not `-n`, decides the replication count.

mod common;

use std::path::Path;

use common::cli::run;
use common::fixtures::{GOOD, scenario_copy};

/// `good.yaml` with its seed replaced, written into `dir`.
fn reseeded(dir: &Path, seed: u64) -> String {
    scenario_copy(dir, "reseeded.yaml", GOOD, |text| {
        text.replace("seed: 3", &format!("seed: {seed}"))
    })
    .display()
    .to_string()
}

#[test]
fn sweep_and_plan_take_seed_as_if_the_file_said_it() {
    let dir = tempfile::tempdir().unwrap();
    let edited = reseeded(dir.path(), 11);
    let sweep = |file: &str, extra: &[&str]| {
        let mut args = vec![
            "sweep",
            file,
            "--param",
            "streams.chat.rate_per_min=20,60",
            "-n",
            "2",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(0), "{err}");
        out
    };
    let flag = sweep(GOOD, &["--seed", "11"]);
    assert_eq!(flag, sweep(&edited, &[]));
    assert_ne!(flag, sweep(GOOD, &[]), "the seed must change the runs");

    let plan = |file: &str, extra: &[&str]| {
        let mut args = vec![
            "plan", file, "--growth", "10%", "--months", "2", "--format", "json",
        ];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args);
        assert_eq!(code, Some(0), "{err}");
        out
    };
    assert_eq!(plan(GOOD, &["--seed", "11"]), plan(&edited, &[]));
}

#[test]
fn compare_out_writes_its_files_and_refuses_to_overwrite_them() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("gate");
    let out_s = out.display().to_string();
    let args = [
        "compare",
        GOOD,
        "--baseline",
        "naive_retry",
        "--candidate",
        "exponential_backoff",
        "-n",
        "2",
        "--fail-on",
        "none",
        "--out",
        &out_s,
    ];
    let (code, stdout, err) = run(&args);
    assert_eq!(code, Some(0), "{err}");
    let json = std::fs::read_to_string(out.join("compare.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["replications"], 2);
    let md = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(
        md.contains("`exponential_backoff` vs `naive_retry`"),
        "{md}"
    );
    assert!(
        stdout.contains("exponential_backoff (candidate)"),
        "{stdout}"
    );

    let (code, _, err) = run(&args);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("compare.json already exists; pass --force"),
        "{err}"
    );
    let mut forced = args.to_vec();
    forced.push("--force");
    assert_eq!(run(&forced).0, Some(0));
}

#[test]
fn compare_against_says_the_baseline_decides_the_replication_count() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json").display().to_string();
    let (code, _, err) = run(&["simulate", GOOD, "-n", "3", "--save-baseline", &base]);
    assert_eq!(code, Some(0), "{err}");
    let (code, stdout, err) = run(&[
        "compare",
        GOOD,
        "--against",
        &base,
        "-n",
        "7",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        err.contains("comparing 3 replications, as many as") && err.contains("not -n 7"),
        "{err}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["replications"], 3);
    // Without -n there is nothing to correct, so nothing is said.
    let (_, _, err) = run(&["compare", GOOD, "--against", &base]);
    assert!(!err.contains("note:"), "{err}");
}

#[test]
fn strategy_runs_any_preset_even_when_the_scenario_lists_others() {
    // good.yaml compares naive_retry and exponential_backoff only.
    let (code, out, err) = run(&[
        "simulate",
        GOOD,
        "--strategy",
        "sdk_default",
        "--strategy",
        "naive_retry",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["strategy"].as_str().unwrap())
        .collect();
    // The scenario's own first, then presets, as the flags named them.
    assert_eq!(names, ["naive_retry", "sdk_default"]);
    // The same preset in a scenario that lists it gives the same numbers.
    let dir = tempfile::tempdir().unwrap();
    let listed = scenario_copy(dir.path(), "listed.yaml", GOOD, |text| {
        text.replace("  - naive_retry\n", "  - naive_retry\n  - sdk_default\n")
    });
    let listed = listed.display().to_string();
    let (_, out_listed, _) = run(&[
        "simulate",
        &listed,
        "--strategy",
        "sdk_default",
        "--format",
        "json",
    ]);
    let result = |json: &str| {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["strategy"] == "sdk_default")
            .cloned()
            .unwrap()
    };
    assert_eq!(result(&out), result(&out_listed));

    // compare, sweep and plan take a preset by name too.
    let (code, _, err) = run(&[
        "compare",
        GOOD,
        "--baseline",
        "naive_retry",
        "--candidate",
        "semaphore",
        "-n",
        "2",
        "--fail-on",
        "none",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let (code, out, err) = run(&[
        "sweep",
        GOOD,
        "--param",
        "strategy.token_bucket.fraction=0.5,0.9",
        "-n",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"strategy\": \"token_bucket\""), "{out}");
}

#[test]
fn every_result_prints_in_every_format() {
    // Before, compare lacked CSV, sweep Markdown, plan CSV, tiers Markdown
    // and CSV, and simulate -n CSV.
    let cases: Vec<Vec<&str>> = vec![
        vec!["simulate", GOOD, "-n", "2"],
        vec![
            "compare",
            GOOD,
            "--baseline",
            "naive_retry",
            "--candidate",
            "exponential_backoff",
            "-n",
            "2",
            "--fail-on",
            "none",
        ],
        vec![
            "sweep",
            GOOD,
            "--param",
            "streams.chat.rate_per_min=20,40",
            "-n",
            "2",
        ],
        vec!["plan", GOOD, "--growth", "10%", "--months", "2"],
        vec!["tiers", "--model", "claude-sonnet-4-5"],
    ];
    for case in &cases {
        for format in ["table", "json", "markdown", "csv"] {
            let mut args = case.clone();
            args.extend(["--format", format]);
            let (code, out, err) = run(&args);
            assert_eq!(code, Some(0), "{args:?}: {err}");
            assert!(!out.trim().is_empty(), "{args:?} printed nothing");
            match format {
                "json" => {
                    serde_json::from_str::<serde_json::Value>(&out)
                        .unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"));
                }
                "csv" => {
                    let mut rows = csv_rows(&out);
                    let header = rows.next().unwrap();
                    assert!(header.len() > 1, "{args:?}: {out}");
                    for row in rows {
                        assert_eq!(row.len(), header.len(), "{args:?}: ragged CSV: {out}");
                    }
                }
                "markdown" => assert!(out.contains("|---"), "{args:?}: no table: {out}"),
                _ => {}
            }
        }
    }
}

/// Rows of a CSV text (fields split on commas outside quotes).
fn csv_rows(text: &str) -> impl Iterator<Item = Vec<String>> + '_ {
    text.lines().map(|line| {
        let (mut fields, mut cur, mut quoted) = (Vec::new(), String::new(), false);
        for c in line.chars() {
            match c {
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(std::mem::take(&mut cur)),
                _ => cur.push(c),
            }
        }
        fields.push(cur);
        fields
    })
}

#[test]
fn fail_on_takes_any_metric_path_the_results_have() {
    let base = [
        "compare",
        GOOD,
        "--baseline",
        "naive_retry",
        "--candidate",
        "exponential_backoff",
        "-n",
        "3",
        "--format",
        "json",
    ];
    let mut args = base.to_vec();
    args.extend(["--fail-on", "by_model.claude-sonnet-4-5.cost_usd"]);
    let (code, out, err) = run(&args);
    assert!(code == Some(0) || code == Some(1), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let metrics: Vec<&str> = v["comparisons"][0]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["metric"].as_str().unwrap())
        .collect();
    assert!(
        metrics.contains(&"by_model.claude-sonnet-4-5.cost_usd"),
        "{metrics:?}"
    );

    // A path the results do not have is named, with the keys that are there.
    let mut args = base.to_vec();
    args.extend(["--fail-on", "by_model.claude-opus-4-1.cost_usd"]);
    let (code, _, err) = run(&args);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--fail-on by_model.claude-opus-4-1.cost_usd:"),
        "{err}"
    );
    assert!(err.contains("claude-sonnet-4-5"), "{err}");
    // A path with no known good direction is refused before running.
    let mut args = base.to_vec();
    args.extend(["--fail-on", "seed"]);
    let (code, _, err) = run(&args);
    assert_eq!(code, Some(2));
    assert!(err.contains("unknown metric `seed`"), "{err}");
}

#[test]
fn compare_lists_the_assertions_that_held_as_simulate_does() {
    // ci-gate.yaml's own `assert:` block holds for `proposed`.
    let args = [
        "compare",
        "scenarios/ci-gate.yaml",
        "--baseline",
        "current",
        "--candidate",
        "proposed",
        "-n",
        "3",
    ];
    let (code, table, err) = run(&args);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        table.contains("assertion held: failed <= 0.02 * requests:"),
        "{table}"
    );
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (_, json, _) = run(&json_args);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let held = v["comparisons"][0]["held_assertions"].as_array().unwrap();
    assert_eq!(held.len(), 2, "{held:?}");
    let mut md_args = args.to_vec();
    md_args.extend(["--format", "markdown"]);
    let (_, md, _) = run(&md_args);
    assert!(
        md.contains("- assertion held: `failed <= 0.02 * requests:"),
        "{md}"
    );
}
