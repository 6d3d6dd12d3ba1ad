//! The two sharded-sweep examples, run locally with their exact commands:
//! the GitHub Actions matrix (`examples/sweep-matrix.yml`) and the Kubernetes
//! Indexed Job (`examples/k8s/sweep-job.yaml`). Shards run one after
//! another, then the merge; the merged files must equal an unsharded run of
//! the same sweep byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_ratesim")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(out: std::process::Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a workflow `run:` line as the runner would: bash, `ratesim` on
/// PATH, in `dir`.
fn bash(line: &str, dir: &Path, summary: &Path) {
    let path = format!(
        "{}:{}",
        Path::new(bin()).parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("GITHUB_STEP_SUMMARY", summary)
        .output()
        .unwrap();
    check(out, line);
}

/// The unsharded sweep: `args` (the sweep's words) without `--shard X`
/// and with `--out whole`.
fn unsharded(mut args: Vec<String>, dir: &Path) -> PathBuf {
    let i = args.iter().position(|a| a == "--shard").unwrap();
    args.drain(i..i + 2);
    let i = args.iter().position(|a| a == "--out").unwrap();
    let whole = dir.join("whole");
    args[i + 1] = whole.display().to_string();
    let out = Command::new(bin())
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    check(out, "the unsharded sweep");
    whole
}

fn assert_same(merged: &Path, whole: &Path) {
    for f in ["sweep.json", "sweep.csv", "sweep.png"] {
        let a = std::fs::read(merged.join(f)).unwrap_or_else(|e| panic!("merged {f}: {e}"));
        let b = std::fs::read(whole.join(f)).unwrap_or_else(|e| panic!("unsharded {f}: {e}"));
        assert!(a == b, "merged {f} differs from the unsharded sweep's");
    }
    let v: Value =
        serde_json::from_slice(&std::fs::read(merged.join("sweep.json")).unwrap()).unwrap();
    assert!(v["points"].as_array().unwrap().len() >= 8, "{v}");
    assert!(v.get("shard").is_none());
}

#[test]
fn the_github_actions_matrix_example_merges_to_the_unsharded_sweep() {
    let text = std::fs::read_to_string("examples/sweep-matrix.yml").unwrap();
    let w: Value = serde_saphyr::from_str(&text).unwrap();
    let shard_job = &w["jobs"]["shard"];
    let shards: Vec<String> = shard_job["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap().to_string())
        .collect();
    let run_of = |job: &Value, name: &str| -> String {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .and_then(|s| s["run"].as_str())
            .unwrap_or_else(|| panic!("no step `{name}`"))
            .to_string()
    };
    let sweep = run_of(shard_job, "Sweep one shard");
    let merge = run_of(&w["jobs"]["merge"], "Merge the shards");
    assert_eq!(w["jobs"]["merge"]["needs"], "shard");

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::os::unix::fs::symlink(root().join("scenarios"), d.join("scenarios")).unwrap();
    let summary = d.join("summary.md");
    for i in &shards {
        let line = sweep.replace("${{ matrix.shard }}", i);
        assert!(!line.contains("${{"), "{line}");
        bash(&line, d, &summary);
        // upload-artifact, then download-artifact into shards/<name>/.
        let name = format!("shard-{i}");
        std::fs::create_dir_all(d.join("shards").join(&name)).unwrap();
        std::fs::copy(
            d.join(&name).join("sweep.json"),
            d.join("shards").join(&name).join("sweep.json"),
        )
        .unwrap();
    }
    bash(&merge, d, &summary);
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(md.contains("best"), "{md}");

    let words = words_of(&sweep.replace("${{ matrix.shard }}", "1"));
    let whole = unsharded(words[1..].to_vec(), d);
    assert_same(&d.join("sweep"), &whole);
}

/// The words of a one-line `ratesim …` command (single quotes only).
fn words_of(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut w = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !w.is_empty() {
                    out.push(std::mem::take(&mut w));
                }
            }
            c => w.push(c),
        }
    }
    if !w.is_empty() {
        out.push(w);
    }
    out
}

#[test]
fn the_kubernetes_indexed_job_example_merges_to_the_unsharded_sweep() {
    let text = std::fs::read_to_string("examples/k8s/sweep-job.yaml").unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let job = |name: &str| {
        docs.iter()
            .find(|d| d["kind"] == "Job" && d["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no Job {name}"))
    };
    let claim = docs
        .iter()
        .find(|d| d["kind"] == "PersistentVolumeClaim")
        .unwrap();
    let sweep = job("ratesim-sweep");
    let merge = job("ratesim-merge");
    assert_eq!(sweep["spec"]["completionMode"], "Indexed");
    let n = sweep["spec"]["completions"].as_u64().unwrap();
    let container = |j: &Value| j["spec"]["template"]["spec"]["containers"][0].clone();
    for j in [sweep, merge] {
        let vols = &j["spec"]["template"]["spec"]["volumes"][0];
        assert_eq!(
            vols["persistentVolumeClaim"]["claimName"],
            claim["metadata"]["name"]
        );
        assert_eq!(container(j)["volumeMounts"][0]["mountPath"], "/results");
    }
    let env = &container(sweep)["env"][0];
    assert_eq!(env["name"], "JOB_COMPLETION_INDEX");
    let args = |j: &Value| -> Vec<String> {
        container(j)["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect()
    };

    // The image's paths, mapped onto this machine.
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let results = d.join("results");
    std::fs::create_dir(&results).unwrap();
    let scenarios = root().join("scenarios");
    let local = |a: &str, index: Option<u64>| {
        let a = match index {
            Some(i) => a.replace("$(JOB_COMPLETION_INDEX)", &i.to_string()),
            None => a.to_string(),
        };
        a.replace("/scenarios/", &format!("{}/", scenarios.display()))
            .replace("/results", &results.display().to_string())
    };
    // Each pod: the argument list (Kubernetes expands $(VAR)), the index in
    // the environment, no shell.
    for i in 0..n {
        let argv: Vec<String> = args(sweep).iter().map(|a| local(a, Some(i))).collect();
        let out = Command::new(bin())
            .args(&argv)
            .env("JOB_COMPLETION_INDEX", i.to_string())
            .current_dir(d)
            .output()
            .unwrap();
        check(out, &format!("pod {i}"));
    }
    let argv: Vec<String> = args(merge).iter().map(|a| local(a, None)).collect();
    assert_eq!(
        argv.iter().filter(|a| a.ends_with("/sweep.json")).count() as u64,
        n,
        "the merge Job lists every shard"
    );
    let out = Command::new(bin())
        .args(&argv)
        .current_dir(d)
        .output()
        .unwrap();
    check(out, "the merge Job");

    let sweep_args: Vec<String> = args(sweep).iter().map(|a| local(a, Some(0))).collect();
    let whole = unsharded(sweep_args, d);
    assert_same(&results.join("sweep"), &whole);
}
