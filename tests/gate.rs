//! The CI gate: the Action's compare step (`action.yml`), with the inputs
//! `examples/github-actions.yml` gives it, fails a change that regresses p99
//! and passes one that does not, on 20 base seeds.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap()
}

/// The action's compare step: its bash script and its environment, with
/// each `${{ inputs.X }}` replaced by the example workflow's `with:` value
/// (or the input's default).
fn gate_step() -> (String, Vec<(String, String)>) {
    let action = yaml("action.yml");
    let workflow = yaml("examples/github-actions.yml");
    let uses = workflow["jobs"]["gate"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Gate the strategy change")
        .expect("the workflow has a gate step")
        .clone();
    assert!(
        uses["uses"].as_str().unwrap().ends_with("/ratesim@v0"),
        "{uses}"
    );
    let step = action["runs"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "compare")
        .expect("the action has a compare step")
        .clone();
    assert_eq!(step["shell"], "bash");
    let input = |name: &str| -> String {
        let v = &uses["with"][name];
        let v = if v.is_null() {
            &action["inputs"][name]["default"]
        } else {
            v
        };
        match v {
            Value::String(s) => s.clone(),
            Value::Null => panic!("input `{name}` has no value and no default"),
            other => other.to_string(),
        }
    };
    let env = step["env"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let expr = v.as_str().unwrap();
            let name = expr
                .strip_prefix("${{ inputs.")
                .and_then(|e| e.strip_suffix(" }}"))
                .unwrap_or_else(|| panic!("{k}: {expr}"));
            (k.clone(), input(name))
        })
        .collect();
    (step["run"].as_str().unwrap().to_string(), env)
}

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ratesim"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Runs the action's compare step like the runner would (bash -eo
/// pipefail, `ratesim` on PATH, the GITHUB_* files set), on `scenario`
/// instead of the example's, with `args` as the `args:` input. Returns the
/// exit code, the job summary plus stderr, and the step's outputs.
fn run_gate(scenario: &str, args: &str) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let outputs = dir.path().join("outputs");
    let (script, env) = gate_step();
    let path = format!(
        "{}:{}",
        bin_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("bash");
    cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &script]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    // Captured, so the expected "gate failed" lines stay out of test logs.
    let out = cmd
        .env("RATESIM_SCENARIO", scenario)
        .env("RATESIM_ARGS", args)
        .env("PATH", path)
        .env("RUNNER_TEMP", dir.path())
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("GITHUB_OUTPUT", &outputs)
        .output()
        .unwrap();
    let text = std::fs::read_to_string(&summary).unwrap_or_default();
    let text = format!("{text}{}", String::from_utf8_lossy(&out.stderr));
    let outputs = std::fs::read_to_string(&outputs).unwrap_or_default();
    (out.status.code().unwrap_or(-1), text, outputs)
}

#[test]
fn the_workflow_gate_passes_a_harmless_change_and_fails_a_regression() {
    let (code, summary, outputs) = run_gate("tests/fixtures/gate-pass.yaml", "");
    assert_eq!(code, 0, "{summary}");
    assert!(outputs.contains("verdict=pass\n"), "{outputs}");
    assert!(outputs.contains("markdown-file="), "{outputs}");
    assert!(summary.contains("### ratesim gate: PASS"), "{summary}");
    assert!(summary.contains("| `latency_ms.p99` |"), "{summary}");

    let (code, summary, outputs) = run_gate("tests/fixtures/gate-fail.yaml", "");
    assert_eq!(code, 1, "{summary}");
    assert!(outputs.contains("verdict=fail\n"), "{outputs}");
    assert!(summary.contains("### ratesim gate: FAIL"), "{summary}");
    assert!(summary.contains("**worse**"), "{summary}");
    assert!(summary.contains("`latency_ms.p99`"), "{summary}");
}

#[test]
fn the_gate_does_not_flake_across_twenty_seeds() {
    for seed in 1..=20 {
        let (code, summary, _) =
            run_gate("tests/fixtures/gate-pass.yaml", &format!("--seed {seed}"));
        assert_eq!(
            code, 0,
            "seed {seed}: a harmless change failed the gate\n{summary}"
        );
        let (code, summary, _) =
            run_gate("tests/fixtures/gate-fail.yaml", &format!("--seed {seed}"));
        assert_eq!(
            code, 1,
            "seed {seed}: a p99 regression passed the gate\n{summary}"
        );
        assert!(summary.contains("latency_ms.p99"), "{summary}");
    }
}
