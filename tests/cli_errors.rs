//! Every usage error of every command exits 2 with a message that names
//! what was wrong (and, for a file ratesim reads, `file:line:column` where
//! the file has lines); none panics. Scenario-file errors are in
//! `scenario_errors.rs`, trace-file errors in `trace.rs`.

mod common;

use std::path::Path;

use common::cli::run;
use common::fixtures::GOOD;
use serde_json::Value;

const RATE: &str = "streams.chat.arrivals.poisson.rate_per_min";

/// Asserts `ratesim args` exits 2, prints nothing on stdout, does not
/// panic, and says every fragment on stderr.
fn usage_error(args: &[&str], fragments: &[&str]) {
    let (code, stdout, stderr) = run(args);
    assert_eq!(code, Some(2), "ratesim {args:?}: stderr:\n{stderr}");
    assert!(!stderr.contains("panicked"), "ratesim {args:?}:\n{stderr}");
    assert!(stdout.is_empty(), "ratesim {args:?}: stdout:\n{stdout}");
    for f in fragments {
        assert!(
            stderr.contains(f),
            "ratesim {args:?}: stderr lacks `{f}`:\n{stderr}"
        );
    }
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// A baseline of good.yaml (one replication), saved into `dir`.
fn baseline(dir: &Path) -> Value {
    let path = dir.join("saved.json");
    let (code, _, stderr) = run(&["simulate", GOOD, "--save-baseline", s(&path)]);
    assert_eq!(code, Some(0), "{stderr}");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn write_json(dir: &Path, name: &str, v: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_string_pretty(v).unwrap()).unwrap();
    s(&path).to_string()
}

#[test]
fn simulate_flag_errors() {
    usage_error(
        &["simulate", GOOD, "--duration", "5x"],
        &["invalid value '5x' for '--duration", "expected e.g. `90m`"],
    );
    for d in ["0s", "367d"] {
        usage_error(
            &["simulate", GOOD, "--duration", d],
            &["must be > 0 and at most 366 days"],
        );
    }
    for n in ["0", "100001"] {
        usage_error(
            &["simulate", GOOD, "-n", n],
            &[&format!(
                "--replications must be between 1 and 100000, got {n}"
            )],
        );
    }
    usage_error(
        &["simulate", GOOD, "-n", "2", "-j", "1025"],
        &["--jobs must be at most 1024, got 1025"],
    );
    usage_error(
        &["simulate", GOOD, "--assert", "nope < 1"],
        &["unknown metric `nope`"],
    );
    // Malformed assertions: the column, the one snippet form, the fix.
    usage_error(
        &["simulate", GOOD, "--assert", "latency_ms.p99 < 2.5s"],
        &[
            "--assert 'latency_ms.p99 < 2.5s': column 18: expected a number, found `2.5s`: \
             latency_ms is in milliseconds; write 2500\n  |\n1 | latency_ms.p99 < 2.5s\n  |                  ^\n",
        ],
    );
    usage_error(
        &[
            "simulate",
            GOOD,
            "--assert",
            "exponential_backof: failed == 0",
        ],
        &["no strategy `exponential_backof` in the scenario; did you mean `exponential_backoff`?"],
    );
}

#[test]
fn simulate_output_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // An existing baseline is not replaced without --force.
    let saved = d.join("base.json");
    std::fs::write(&saved, "keep").unwrap();
    usage_error(
        &["simulate", GOOD, "--save-baseline", s(&saved)],
        &["base.json already exists; pass --force to replace it"],
    );
    assert_eq!(std::fs::read_to_string(&saved).unwrap(), "keep");
    // -n 2 --timeseries is refused before anything is written.
    let ts = d.join("ts.csv");
    usage_error(
        &["simulate", GOOD, "-n", "2", "--timeseries", s(&ts)],
        &["describe a single run"],
    );
    assert!(!ts.exists());
    // --out below a file, --timeseries into a missing directory.
    let file = d.join("file");
    std::fs::write(&file, "").unwrap();
    usage_error(
        &["simulate", GOOD, "--out", s(&file.join("sub"))],
        &["cannot create", "file/sub"],
    );
    // A series file or baseline in a missing directory is refused before
    // simulating: nothing reaches stdout.
    for flag in ["--timeseries", "--save-baseline"] {
        let target = d.join("missing").join("out.csv");
        let (code, stdout, stderr) = run(&["simulate", GOOD, flag, s(&target)]);
        assert_eq!(code, Some(2), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains(&format!("cannot write {}", s(&target)))
                && stderr.contains("is not a directory"),
            "{stderr}"
        );
    }
}

#[test]
fn baseline_file_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = baseline(d);

    let missing = d.join("missing.json");
    usage_error(
        &["simulate", GOOD, "--against", s(&missing)],
        &["cannot read", "missing.json"],
    );
    usage_error(
        &["compare", GOOD, "--against", s(&missing)],
        &["cannot read", "missing.json"],
    );

    // Not JSON / not the right shape: located at line and column.
    let broken = d.join("broken.json");
    std::fs::write(
        &broken,
        "{\n  \"kind\": \"ratesim-baseline\",\n  \"seed\": -1\n}\n",
    )
    .unwrap();
    for cmd in ["simulate", "compare"] {
        usage_error(
            &[cmd, GOOD, "--against", s(&broken)],
            &[&format!("{}:3:", s(&broken)), "not a ratesim baseline"],
        );
    }

    let mut v = good.clone();
    v["kind"] = "something-else".into();
    let wrong_kind = write_json(d, "kind.json", &v);
    usage_error(
        &["compare", GOOD, "--against", &wrong_kind],
        &["not a ratesim baseline file"],
    );

    // Inconsistent run counts would pair replications wrongly (or not at
    // all, passing the gate on nothing).
    let mut v = good.clone();
    v["replications"] = 0.into();
    let zero = write_json(d, "zero.json", &v);
    usage_error(
        &["compare", GOOD, "--against", &zero],
        &["`replications` is 0"],
    );
    let mut v = good.clone();
    v["replications"] = 3.into();
    let short = write_json(d, "short.json", &v);
    for cmd in ["simulate", "compare"] {
        usage_error(
            &[cmd, GOOD, "--against", &short],
            &["strategy `naive_retry` has 1 run(s) but `replications` is 3"],
        );
    }

    // A baseline of other strategies.
    let mut v = good.clone();
    for st in v["strategies"].as_array_mut().unwrap() {
        st["strategy"] = "other".into();
    }
    let other = write_json(d, "other.json", &v);
    usage_error(
        &["compare", GOOD, "--against", &other],
        &["no strategy of tests/fixtures/good.yaml is in"],
    );
    usage_error(
        &[
            "compare",
            GOOD,
            "--against",
            &other,
            "--candidate",
            "naive_retry",
        ],
        &["no strategy `naive_retry` in the baseline"],
    );
}

#[test]
fn compare_errors() {
    usage_error(
        &["compare", GOOD, "--baseline", "naive_retry"],
        &["compare needs --baseline A --candidate B, or --against FILE"],
    );
    usage_error(
        &[
            "compare",
            GOOD,
            "--baseline",
            "naive_retry",
            "--candidate",
            "semaphores",
        ],
        &[
            "tests/fixtures/good.yaml: no strategy or preset `semaphores` (the scenario has: naive_retry",
            "did you mean `semaphore`?",
        ],
    );
    usage_error(
        &[
            "compare",
            GOOD,
            "--baseline",
            "naive_retry",
            "--candidate",
            "exponential_backoff",
            "-n",
            "0",
        ],
        &["--replications must be between 1 and 100000, got 0"],
    );
    usage_error(
        &[
            "compare",
            "tests/fixtures/bad_zero_rpm.yaml",
            "--baseline",
            "a",
        ],
        &["tests/fixtures/bad_zero_rpm.yaml:3:25:"],
    );
}

#[test]
fn sweep_errors() {
    let param = format!("{RATE}=5,10");
    usage_error(
        &["sweep", GOOD, "--param", &param, "--strategy", "nosuch"],
        &["no strategy or preset `nosuch`"],
    );
    usage_error(
        &["sweep", GOOD, "--param", &param, "-n", "0"],
        &["--replications must be between 1 and 100000, got 0"],
    );
    // A value the scenario rejects names the point and the loader's reason.
    usage_error(
        &["sweep", GOOD, "--param", &format!("{RATE}=-5,10")],
        &[
            "point 0 (",
            "=-5): poisson.rate_per_min must be between 0 and 1000000",
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sw");
    let (code, _, stderr) = run(&["sweep", GOOD, "--param", &param, "--out", s(&out)]);
    assert_eq!(code, Some(0), "{stderr}");
    usage_error(
        &["sweep", GOOD, "--param", &param, "--out", s(&out)],
        &["sweep.json already exists; pass --force to replace it"],
    );
}

#[test]
fn merge_errors() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    usage_error(
        &["merge", s(&d.join("missing.json"))],
        &["cannot read", "missing.json"],
    );
    let broken = d.join("broken.json");
    std::fs::write(&broken, "{\n  \"schema_version\": 1,\n").unwrap();
    usage_error(
        &["merge", s(&broken)],
        &[&format!("{}:3:1: not a ratesim sweep report", s(&broken))],
    );

    let shard = |name: &str, values: &str, i: &str| -> (String, Value) {
        let out = d.join(name);
        let (code, _, stderr) = run(&[
            "sweep",
            GOOD,
            "--param",
            &format!("{RATE}={values}"),
            "--shard",
            i,
            "--out",
            s(&out),
        ]);
        assert_eq!(code, Some(0), "{stderr}");
        let path = out.join("sweep.json");
        let v = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        (s(&path).to_string(), v)
    };
    let (a, first) = shard("a", "5,10", "1/2");
    let (b, _) = shard("b", "5,20", "2/2");
    usage_error(
        &["merge", &a, &b],
        &["the shard files come from different sweeps"],
    );
    let (c, _) = shard("c", "5,10", "1/2");
    usage_error(
        &["merge", &a, &c],
        &["the same point appears in more than one shard"],
    );
    // A point outside the grid (a hand-edited or foreign shard).
    let mut v = first.clone();
    v["points"][0]["index"] = 7.into();
    let outside = write_json(d, "outside.json", &v);
    usage_error(
        &["merge", &outside],
        &["a shard has point 7, but the sweep has only 2 points"],
    );
}

#[test]
fn plan_errors() {
    for m in ["0", "121"] {
        usage_error(
            &["plan", GOOD, "--growth", "10%", "--months", m],
            &["--months must be between 1 and 120"],
        );
    }
    // 100 %/month for 24 months is 2^24 ≈ 1.7e7 times today's demand.
    usage_error(
        &["plan", GOOD, "--growth", "100%", "--months", "24"],
        &[
            "multiplies demand by 1.678e7",
            "at most 1e6 can be simulated",
        ],
    );
    usage_error(
        &["plan", GOOD, "--growth", "10%", "--strategy", "nosuch"],
        &["tests/fixtures/good.yaml: no strategy or preset `nosuch`"],
    );
    usage_error(
        &["plan", GOOD, "--growth", "fast"],
        &["invalid value 'fast' for '--growth"],
    );
}

#[test]
fn tiers_errors() {
    usage_error(
        &["tiers", "--model", "claude-sonnet-9"],
        &[
            "unknown model `claude-sonnet-9`, expected one of",
            "claude-sonnet-4-5",
        ],
    );
    usage_error(
        &["tiers", "--profile", "tier9"],
        &["unknown profile `tier9`, expected one of", "tier1"],
    );
}
