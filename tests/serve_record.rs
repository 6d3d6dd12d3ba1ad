//! `ratesim serve` as a process: the first stderr line, `--duration`,
//! `--record` (one line per attempt, replayable by `simulate` as a trace
//! with the client's retries skipped) and the summary's retry pattern.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::serve::post;

fn body(text: &str) -> String {
    serde_json::json!({
        "model": "claude-sonnet-4-5", "max_tokens": 20,
        "messages": [{"role": "user", "content": text}],
    })
    .to_string()
}

#[test]
fn record_then_replay_the_recorded_requests() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("calls.jsonl");
    let root = env!("CARGO_MANIFEST_DIR");
    // --speed 2: the 6 s of simulated time end after 3 s of wall time, and
    // the bucket refills one request per 10 simulated seconds (5 s of wall
    // time), after the server has stopped.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ratesim"))
        .current_dir(root)
        .args([
            "serve",
            "--scenario",
            "tests/fixtures/serve-small.yaml",
            "--port",
            "0",
            "--speed",
            "2",
            "--duration",
            "6s",
            "--quiet",
            "--output-tokens",
            "20",
            "--out",
        ])
        .arg(dir.path().join("out"))
        .arg("--record")
        .arg(&record)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    let base = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    // Five requests fill the bucket; a sixth is rejected and "retried"
    // twice with the SDK's header, all rejected.
    for i in 0..5 {
        assert_eq!(
            post(&base, "/v1/messages", &body(&format!("r{i}")), &[]).status,
            200
        );
    }
    for n in 0..3 {
        let r = post(
            &base,
            "/v1/messages",
            &body("again"),
            &[("x-stainless-retry-count", &n.to_string())],
        );
        assert_eq!(r.status, 429, "{}", r.body);
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("attempts 8"), "{summary}");
    assert!(
        summary.contains("client: 6 requests in 8 attempts"),
        "{summary}"
    );

    // --out: the session in simulate's report shape, the client as the strategy.
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    let client = &report["results"][0];
    assert_eq!(client["strategy"], "your client");
    assert_eq!(client["requests"], 6);
    assert_eq!(client["attempts"], 8);
    assert_eq!(client["succeeded"], 5);
    assert_eq!(client["failed"], 1);
    assert_eq!(client["rate_limited"]["rpm"], 3);
    assert!(dir.path().join("out/report.md").exists());
    assert!(dir.path().join("out/errors.png").exists());

    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8);
    let counts: Vec<u64> = lines[5..]
        .iter()
        .map(|l| l["attempt"]["retry_count"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [0, 1, 2]);
    assert_eq!(lines[5]["attempt"]["status"], 429);
    assert_eq!(lines[5]["attempt"]["dimension"], "rpm");
    // A rejected attempt still describes the request: its output length.
    assert_eq!(lines[5]["output_tokens"], 20);
    assert!(
        lines
            .windows(2)
            .all(|w| w[0]["timestamp"].as_f64() <= w[1]["timestamp"].as_f64())
    );

    // Replay: 6 requests (the 2 retries skipped), under the same limits.
    let scenario = dir.path().join("replay.yaml");
    std::fs::write(
        &scenario,
        "name: replay\ntier: tier1\nduration: 5m\npools:\n  sonnet-4: {rpm: 6}\n\
         limiter: {burst: 50s}\nstreams:\n  - name: recorded\n    model: claude-sonnet-4-5\n    \
         trace: calls.jsonl\nstrategies: [sdk_default]\n",
    )
    .unwrap();
    let (code, stdout, stderr) =
        common::cli::run(&["simulate", scenario.to_str().unwrap(), "-f", "json"]);
    assert_eq!(code, Some(0), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let result = &report["results"][0];
    assert_eq!(result["requests"], 6, "{result}");
}

#[test]
fn usage_errors_exit_2_with_a_message() {
    let (code, _, err) = common::cli::run(&["serve", "--tier", "tier9", "--port", "0"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("unknown tier `tier9`") && err.contains("did you mean"),
        "{err}"
    );
    let (code, _, err) = common::cli::run(&["serve", "--speed", "0"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--speed"), "{err}");
    let (code, _, err) = common::cli::run(&["serve", "--stream-errors", "150%"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("at most 1"), "{err}");
    let (code, _, err) = common::cli::run(&[
        "serve",
        "--tier",
        "tier1",
        "--scenario",
        "scenarios/tier1.yaml",
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot be used with"), "{err}");
    // An existing record file is not overwritten without --force, and
    // nothing is served.
    let dir = tempfile::tempdir().unwrap();
    let existing = dir.path().join("calls.jsonl");
    std::fs::write(&existing, "keep me\n").unwrap();
    let (code, _, err) = common::cli::run(&[
        "serve",
        "--port",
        "0",
        "--record",
        existing.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--force"), "{err}");
    assert!(!err.contains("listening"), "{err}");
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me\n");
}
