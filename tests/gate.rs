//! The CI gate: the exact command from `examples/github-actions.yml` fails a
//! change that regresses p99 and passes one that does not, on 20 base seeds.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The `run:` line of the workflow's gate step.
fn gate_command() -> String {
    let text = std::fs::read_to_string("examples/github-actions.yml").unwrap();
    let doc: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let steps = doc["jobs"]["gate"]["steps"].as_array().unwrap();
    steps
        .iter()
        .find(|s| s["name"] == "Gate the strategy change")
        .and_then(|s| s["run"].as_str())
        .expect("the workflow has a gate step")
        .to_string()
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ratesim"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs the workflow's command (plus `extra` flags) like the CI runner would:
/// bash, `ratesim` on PATH, SCENARIO and GITHUB_STEP_SUMMARY set.
fn run_gate(scenario: &str, extra: &str) -> (i32, String) {
    let summary = tempfile::NamedTempFile::new().unwrap();
    let command = gate_command();
    let command = match extra {
        "" => command,
        _ => command.replacen("--format", &format!("{extra} --format"), 1),
    };
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    // Captured, so the expected "gate failed" lines stay out of test logs.
    let out = Command::new("bash")
        .args(["-eo", "pipefail", "-c", &command])
        .env("PATH", path)
        .env("SCENARIO", scenario)
        .env("GITHUB_STEP_SUMMARY", summary.path())
        .output()
        .unwrap();
    let text = std::fs::read_to_string(summary.path()).unwrap();
    let text = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn the_workflow_gate_passes_a_harmless_change_and_fails_a_regression() {
    let (code, summary) = run_gate("tests/fixtures/gate-pass.yaml", "");
    assert_eq!(code, 0, "{summary}");
    assert!(summary.contains("### ratesim gate: PASS"), "{summary}");
    assert!(summary.contains("| `latency_ms.p99` |"), "{summary}");

    let (code, summary) = run_gate("tests/fixtures/gate-fail.yaml", "");
    assert_eq!(code, 1, "{summary}");
    assert!(summary.contains("### ratesim gate: FAIL"), "{summary}");
    assert!(summary.contains("**worse**"), "{summary}");
    assert!(summary.contains("`latency_ms.p99`"), "{summary}");
}

#[test]
fn the_gate_does_not_flake_across_twenty_seeds() {
    for seed in 1..=20 {
        let (code, summary) = run_gate("tests/fixtures/gate-pass.yaml", &format!("--seed {seed}"));
        assert_eq!(
            code, 0,
            "seed {seed}: a harmless change failed the gate\n{summary}"
        );
        let (code, summary) = run_gate("tests/fixtures/gate-fail.yaml", &format!("--seed {seed}"));
        assert_eq!(
            code, 1,
            "seed {seed}: a p99 regression passed the gate\n{summary}"
        );
        assert!(summary.contains("latency_ms.p99"), "{summary}");
    }
}
