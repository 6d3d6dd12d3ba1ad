//! End-to-end tests of the `ratesim` command line.

mod common;

use common::cli::{ratesim, run_ok, stdout};
use common::fixtures::{GOOD, scenario_copy};
use predicates::prelude::*;
use serde_json::Value;

const STRATEGIES: [&str; 2] = ["naive_retry", "exponential_backoff"];

fn json(args: &[&str]) -> Value {
    let out = run_ok(args);
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout of {args:?} is not JSON ({e}):\n{}", stdout(&out)))
}

fn strategy_names(report: &Value) -> Vec<&str> {
    report["results"]
        .as_array()
        .expect("results array")
        .iter()
        .map(|r| r["strategy"].as_str().expect("strategy name"))
        .collect()
}

#[test]
fn simulate_prints_a_table() {
    let out = run_ok(&["simulate", GOOD]);
    let text = stdout(&out);
    let header = text
        .lines()
        .find(|l| STRATEGIES.iter().all(|s| l.contains(s)))
        .unwrap_or_else(|| panic!("no header row naming both strategies:\n{text}"));
    assert!(
        header.find("naive_retry") < header.find("exponential_backoff"),
        "{header}"
    );
    for row in [
        "429 total",
        "latency p99",
        "cost USD",
        "requests",
        "succeeded",
    ] {
        assert!(
            text.lines().any(|l| l.starts_with(row)),
            "no `{row}` row:\n{text}"
        );
    }
    assert!(text.contains("seed 3"), "{text}");
}

#[test]
fn json_report_has_the_documented_shape() {
    let report = json(&["simulate", GOOD, "--format", "json"]);
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["scenario"], "good");
    assert_eq!(report["seed"], 3);
    assert_eq!(strategy_names(&report), STRATEGIES);

    for r in report["results"].as_array().unwrap() {
        let name = r["strategy"].as_str().unwrap();
        for key in [
            "strategy",
            "requests",
            "succeeded",
            "failed",
            "attempts",
            "rate_limited",
            "overloaded",
            "latency_ms",
            "goodput_per_min",
            "cost_usd",
            "tokens",
            "by_class",
            "events",
        ] {
            assert!(r.get(key).is_some(), "{name}: missing `{key}`");
        }
        let sub = |obj: &str, keys: &[&str]| {
            for k in keys {
                assert!(
                    r[obj].get(*k).is_some_and(Value::is_number),
                    "{name}: missing number {obj}.{k}"
                );
            }
        };
        sub(
            "rate_limited",
            &["total", "rpm", "itpm", "otpm", "concurrency"],
        );
        sub("latency_ms", &["p50", "p90", "p99", "p999", "max"]);
        sub("tokens", &["input", "output", "cache_read", "cache_write"]);

        let n = |k: &str| {
            r[k].as_u64()
                .unwrap_or_else(|| panic!("{name}: {k} is not a u64"))
        };
        assert!(n("requests") > 0, "{name}: no requests");
        assert_eq!(n("requests"), n("succeeded") + n("failed"), "{name}");
        assert!(n("attempts") >= n("requests"), "{name}");
        assert!(n("events") > 0, "{name}");
        let rl = &r["rate_limited"];
        let parts: u64 = ["rpm", "itpm", "otpm", "concurrency"]
            .iter()
            .map(|k| rl[*k].as_u64().unwrap())
            .sum();
        assert_eq!(rl["total"].as_u64().unwrap(), parts, "{name}");
        assert!(r["cost_usd"].as_f64().unwrap() > 0.0, "{name}");
        let lat = &r["latency_ms"];
        assert!(lat["p50"].as_f64() <= lat["p99"].as_f64(), "{name}");
        assert!(lat["p99"].as_f64() <= lat["max"].as_f64(), "{name}");

        let classes = r["by_class"].as_object().expect("by_class object");
        assert_eq!(classes.keys().collect::<Vec<_>>(), ["default"], "{name}");
        assert_eq!(classes["default"]["requests"], r["requests"], "{name}");
    }
}

#[test]
fn json_output_is_deterministic_and_seed_sensitive() {
    let args = ["simulate", GOOD, "--format", "json"];
    let a = run_ok(&args).stdout;
    let b = run_ok(&args).stdout;
    assert!(!a.is_empty());
    assert_eq!(a, b, "two runs of the same scenario differ");

    let seeded = run_ok(&["simulate", GOOD, "--format", "json", "--seed", "7"]).stdout;
    assert_ne!(
        a, seeded,
        "--seed 7 gave the same report as the scenario's seed"
    );
    let report: Value = serde_json::from_slice(&seeded).unwrap();
    assert_eq!(report["seed"], 7);

    // The scenario's own seed, given explicitly, reproduces the default run.
    let explicit = run_ok(&["simulate", GOOD, "--format", "json", "--seed", "3"]).stdout;
    assert_eq!(a, explicit);
}

#[test]
fn markdown_format_prints_a_table() {
    let out = run_ok(&["simulate", GOOD, "--format", "markdown"]);
    let text = stdout(&out);
    let header = text
        .lines()
        .find(|l| l.starts_with("| metric |"))
        .unwrap_or_else(|| panic!("no `| metric |` header:\n{text}"));
    for s in STRATEGIES {
        assert!(header.contains(s), "{header}");
    }
    assert!(text.contains("| 429 total |"), "{text}");
    assert!(text.contains("| cost USD |"), "{text}");
}

#[test]
fn out_dir_writes_reports_and_refuses_to_overwrite_without_force() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("reports");
    let dir_s = dir.to_str().unwrap();

    let out = run_ok(&["simulate", GOOD, "--out", dir_s]);
    let json_path = dir.join("report.json");
    let md_path = dir.join("report.md");
    let json1 = std::fs::read(&json_path).expect("report.json written");
    let md1 = std::fs::read_to_string(&md_path).expect("report.md written");
    let report: Value = serde_json::from_slice(&json1).expect("report.json is JSON");
    assert_eq!(report["schema_version"], 1);
    assert!(md1.contains("| metric |"), "{md1}");
    // stdout is still the table.
    assert!(stdout(&out).contains("429 total"));
    // report.json is what --format json prints.
    assert_eq!(
        json1,
        run_ok(&["simulate", GOOD, "--format", "json"]).stdout
    );

    // Mark the files so we can tell whether they were rewritten.
    std::fs::write(&json_path, "old json").unwrap();
    std::fs::write(&md_path, "old md").unwrap();

    ratesim()
        .args(["simulate", GOOD, "--seed", "7", "--out", dir_s])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("already exists").and(predicate::str::contains("--force")),
        );
    assert_eq!(std::fs::read_to_string(&json_path).unwrap(), "old json");
    assert_eq!(std::fs::read_to_string(&md_path).unwrap(), "old md");

    run_ok(&["simulate", GOOD, "--out", dir_s, "--force"]);
    assert_eq!(std::fs::read(&json_path).unwrap(), json1);
    assert_eq!(std::fs::read_to_string(&md_path).unwrap(), md1);
}

#[test]
fn out_dir_refuses_when_only_report_md_exists() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("report.md"), "keep me").unwrap();
    ratesim()
        .args(["simulate", GOOD, "--out", tmp.path().to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("report.md already exists"));
    assert!(!tmp.path().join("report.json").exists());
    assert_eq!(
        std::fs::read_to_string(tmp.path().join("report.md")).unwrap(),
        "keep me"
    );
}

#[test]
fn strategy_flag_selects_strategies() {
    let report = json(&[
        "simulate",
        GOOD,
        "--format",
        "json",
        "--strategy",
        "exponential_backoff",
    ]);
    assert_eq!(strategy_names(&report), ["exponential_backoff"]);

    // Selected results are the same as in the full run.
    let full = json(&["simulate", GOOD, "--format", "json"]);
    assert_eq!(report["results"][0], full["results"][1]);

    // Repeatable; scenario order is kept.
    let both = json(&[
        "simulate",
        GOOD,
        "--format",
        "json",
        "--strategy",
        "exponential_backoff",
        "--strategy",
        "naive_retry",
    ]);
    assert_eq!(strategy_names(&both), STRATEGIES);

    let table = stdout(&run_ok(&["simulate", GOOD, "--strategy", "naive_retry"]));
    assert!(table.contains("naive_retry"), "{table}");
    assert!(!table.contains("exponential_backoff"), "{table}");
}

#[test]
fn unknown_strategy_exits_2() {
    ratesim()
        .args(["simulate", GOOD, "--strategy", "nosuch"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(
            predicate::str::contains(
                "--strategy nosuch: tests/fixtures/good.yaml: no strategy or preset `nosuch`",
            )
            .and(predicate::str::contains(
                "the scenario has: naive_retry, exponential_backoff; presets: ",
            ))
            .and(predicate::str::contains("panicked").not()),
        );
}

#[test]
fn help_succeeds() {
    ratesim()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("simulate").and(predicate::str::contains("validate")));
    ratesim()
        .args(["simulate", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("--format")
                .and(predicate::str::contains("--out"))
                .and(predicate::str::contains("--strategy"))
                .and(predicate::str::contains("--seed")),
        );
    ratesim().args(["validate", "--help"]).assert().success();
    ratesim()
        .arg("--version")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("ratesim "));
}

#[test]
fn usage_errors_exit_2() {
    ratesim()
        .arg("frobnicate")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("frobnicate"));
    // No subcommand at all.
    ratesim().assert().code(2);
    // Missing scenario argument.
    ratesim().arg("simulate").assert().code(2);
    ratesim().arg("validate").assert().code(2);
    // Bad flag values.
    ratesim()
        .args(["simulate", GOOD, "--format", "xml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("xml"));
    ratesim()
        .args(["simulate", GOOD, "--seed", "-1"])
        .assert()
        .code(2);
    ratesim()
        .args(["simulate", GOOD, "--no-such-flag"])
        .assert()
        .code(2);
}

#[test]
fn simulate_on_a_bad_or_missing_scenario_exits_2() {
    ratesim()
        .args(["simulate", "tests/fixtures/bad_unknown_model.yaml"])
        .assert()
        .code(2)
        .stdout(predicate::str::is_empty())
        .stderr(predicate::str::contains(
            "tests/fixtures/bad_unknown_model.yaml:5:12: unknown model",
        ));
    ratesim()
        .args(["simulate", "tests/fixtures/no_such_file.yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cannot read"));
}

#[test]
fn stats_go_to_stderr_and_leave_stdout_unchanged() {
    for format in ["table", "json"] {
        let plain = run_ok(&["simulate", GOOD, "--format", format]);
        let with_stats = run_ok(&["simulate", GOOD, "--format", format, "--stats"]);
        assert_eq!(
            plain.stdout, with_stats.stdout,
            "--stats changed stdout ({format})"
        );
        let err = String::from_utf8_lossy(&with_stats.stderr);
        let line = err
            .lines()
            .find(|l| l.starts_with("stats:"))
            .unwrap_or_else(|| panic!("no `stats:` line on stderr:\n{err}"));
        assert!(
            line.contains("events") && line.contains("requests"),
            "{line}"
        );
        assert!(
            !String::from_utf8_lossy(&plain.stderr).contains("stats:"),
            "stats printed without --stats"
        );
    }
}

#[test]
fn duration_flag_replaces_the_scenarios_arrival_window() {
    let dir = tempfile::tempdir().unwrap();
    let edited = scenario_copy(dir.path(), "edited.yaml", GOOD, |text| {
        let original = text
            .lines()
            .find(|l| l.starts_with("duration:"))
            .expect("good.yaml states a duration");
        text.replace(original, "duration: 7m")
    });
    let by_flag = run_ok(&["simulate", GOOD, "--duration", "7m", "--format", "json"]);
    let by_file = run_ok(&["simulate", edited.to_str().unwrap(), "--format", "json"]);
    assert_eq!(stdout(&by_flag), stdout(&by_file));
    assert_eq!(
        json(&["simulate", GOOD, "--duration", "7m", "--format", "json"])["duration_s"],
        420.0
    );
    for bad in ["0s", "400d", "soon"] {
        ratesim()
            .args(["simulate", GOOD, "--duration", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--duration"));
    }
    // compare and plan: the flag reads exactly as the edited file does.
    let compare = [
        "--baseline",
        "naive_retry",
        "--candidate",
        "exponential_backoff",
        "-n",
        "2",
    ];
    let plan = ["--growth", "50%", "--months", "2"];
    for (command, options) in [("compare", &compare[..]), ("plan", &plan[..])] {
        let with = |scenario: &str, flag: &[&str]| {
            let mut args = vec![command, scenario, "--format", "json"];
            args.extend(options);
            args.extend(flag);
            stdout(&run_ok(&args))
        };
        let by_flag = with(GOOD, &["--duration", "7m"]);
        assert_eq!(by_flag, with(edited.to_str().unwrap(), &[]), "{command}");
        assert_ne!(by_flag, with(GOOD, &[]), "{command}");
    }
    // sweep: the same points, and the definition records the override (so
    // shards run with different horizons cannot be merged).
    let sweep = |scenario: &str, flag: &[&str]| {
        let mut args = vec!["sweep", scenario, "--param", "pools.sonnet-4.rpm=20,40"];
        args.extend(["-n", "2", "--format", "json"]);
        args.extend(flag);
        serde_json::from_slice::<serde_json::Value>(&run_ok(&args).stdout).unwrap()
    };
    let by_flag = sweep(GOOD, &["--duration", "7m"]);
    let by_file = sweep(edited.to_str().unwrap(), &[]);
    assert_eq!(by_flag["points"], by_file["points"]);
    assert_eq!(by_flag["definition"]["duration"], "7m");
    assert!(by_file["definition"].get("duration").is_none());
    assert_ne!(by_flag["points"], sweep(GOOD, &[])["points"]);
}
