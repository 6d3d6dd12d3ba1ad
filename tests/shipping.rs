//! What ships around the binary: the composite Action and its documented
//! inputs, the workflow files, the release's asset names, the one-line
//! installer, and the README's Install section.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The action's inputs: name → default (`None` when required).
fn action_inputs() -> BTreeMap<String, Option<String>> {
    let action = yaml("action.yml");
    action["inputs"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let required = v["required"].as_bool().unwrap_or(false);
            assert!(v["description"].is_string(), "input {k} has no description");
            let default = v["default"].as_str().map(str::to_string);
            assert_eq!(
                required,
                default.is_none(),
                "input {k}: required xor default"
            );
            (k.clone(), default)
        })
        .collect()
}

/// The README's table of the action's inputs: `| \`name\` | default | … |`.
fn readme_inputs() -> BTreeMap<String, Option<String>> {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let (_, table) = readme
        .split_once("| input | default | what it sets |")
        .expect("README has a table of the action's inputs");
    table
        .lines()
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_string();
            let default = match cells[2] {
                "required" => None,
                "none" => Some(String::new()),
                d => Some(d.trim_matches('`').to_string()),
            };
            (name, default)
        })
        .collect()
}

#[test]
fn the_action_has_the_documented_inputs_and_uses_them() {
    let inputs = action_inputs();
    for name in [
        "scenario",
        "baseline",
        "candidate",
        "replications",
        "tolerance",
        "version",
    ] {
        assert!(inputs.contains_key(name), "action.yml lacks input `{name}`");
    }
    assert_eq!(inputs["scenario"], None, "scenario is required");
    assert_eq!(
        readme_inputs(),
        inputs,
        "README's input table and action.yml differ"
    );

    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let text = std::fs::read_to_string("action.yml").unwrap();
    // Every `${{ inputs.X }}` names an input, and every input is used.
    let used: Vec<&str> = text
        .split("${{ inputs.")
        .skip(1)
        .map(|t| t.split(" }}").next().unwrap())
        .collect();
    for u in &used {
        assert!(
            inputs.contains_key(*u),
            "action.yml uses undefined input `{u}`"
        );
    }
    for name in inputs.keys() {
        assert!(
            used.contains(&name.as_str()),
            "input `{name}` is never used"
        );
    }
    for s in steps {
        assert!(s["shell"].is_string(), "composite steps need a shell: {s}");
    }
    // It installs with install.sh (no Rust toolchain) and writes the summary.
    let install = steps[0]["run"].as_str().unwrap();
    assert!(install.contains("install.sh"), "{install}");
    assert!(!text.contains("cargo "), "the action must not need cargo");
    let compare = steps.iter().find(|s| s["id"] == "compare").unwrap();
    let run = compare["run"].as_str().unwrap();
    assert!(run.contains("ratesim compare"), "{run}");
    assert!(run.contains("GITHUB_STEP_SUMMARY"), "{run}");
    for out in ["verdict", "markdown-file", "json-file"] {
        assert!(action["outputs"][out]["value"].is_string(), "output {out}");
        assert!(
            run.contains(&format!("{out}=")),
            "output {out} is never set"
        );
    }
}

/// Every `uses: …/ratesim@…` step in a workflow, with its `with:` block.
fn action_steps(workflow: &Value) -> Vec<Value> {
    let mut found = Vec::new();
    for job in workflow["jobs"].as_object().unwrap().values() {
        for s in job["steps"].as_array().unwrap() {
            if s["uses"].as_str().is_some_and(|u| u.contains("/ratesim@")) {
                found.push(s["with"].clone());
            }
        }
    }
    found
}

#[test]
fn the_workflow_examples_parse_and_give_the_action_valid_inputs() {
    let inputs = action_inputs();
    for (file, gates) in [
        ("examples/github-actions.yml", 1),
        ("examples/github-actions-pr-comment.yml", 1),
        ("examples/sweep-matrix.yml", 0),
        (".github/workflows/release.yml", 0),
    ] {
        let w = yaml(file);
        assert!(w["name"].is_string(), "{file}: no name");
        assert!(w["on"].is_object(), "{file}: no trigger");
        let steps = action_steps(&w);
        assert_eq!(steps.len(), gates, "{file}: ratesim action steps");
        for with in steps {
            let with = with.as_object().unwrap();
            for k in with.keys() {
                assert!(inputs.contains_key(k), "{file}: unknown input `{k}`");
            }
            for (k, d) in &inputs {
                assert!(d.is_some() || with.contains_key(k), "{file}: missing `{k}`");
            }
            let scenario = with["scenario"].as_str().unwrap();
            assert!(Path::new(scenario).is_file(), "{file}: no {scenario}");
        }
    }
    // The PR-comment example comments even when the gate fails.
    let w = yaml("examples/github-actions-pr-comment.yml");
    let steps = w["jobs"]["gate"]["steps"].as_array().unwrap();
    let comment = steps.last().unwrap();
    assert!(comment["if"].as_str().unwrap().contains("always()"));
    assert!(comment["run"].as_str().unwrap().contains("gh pr comment"));
    assert_eq!(w["permissions"]["pull-requests"], "write");
}

#[test]
fn the_release_builds_every_target_the_installer_downloads() {
    let w = yaml(".github/workflows/release.yml");
    assert!(w["on"]["push"]["tags"].is_array());
    let targets: Vec<&str> = w["jobs"]["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    let want = [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "x86_64-apple-darwin",
        "aarch64-apple-darwin",
        "x86_64-pc-windows-msvc",
    ];
    for t in want {
        assert!(targets.contains(&t), "release.yml does not build {t}");
    }
    let installer = std::fs::read_to_string("install.sh").unwrap();
    for part in [
        "-unknown-linux-musl",
        "-apple-darwin",
        "ratesim-${target}.tar.gz",
        ".sha256",
    ] {
        assert!(installer.contains(part), "install.sh: {part}");
    }
    let text = std::fs::read_to_string(".github/workflows/release.yml").unwrap();
    for part in [
        "${name}.tar.gz",
        "${name}.zip",
        ".sha256",
        "SHA256SUMS",
        "install.sh",
    ] {
        assert!(text.contains(part), "release.yml: {part}");
    }
    assert_eq!(w["jobs"]["publish"]["permissions"]["contents"], "write");
}

/// A release directory as the release workflow lays it out, for this
/// machine's target, holding a stand-in `ratesim` (the installer only
/// copies it and asks its version).
#[cfg(unix)]
fn fake_release(dir: &Path) -> String {
    let arch = match std::env::consts::ARCH {
        "aarch64" => "aarch64",
        _ => "x86_64",
    };
    let target = match std::env::consts::OS {
        "macos" => format!("{arch}-apple-darwin"),
        _ => format!("{arch}-unknown-linux-musl"),
    };
    let name = format!("ratesim-{target}");
    let stage = dir.join(&name);
    std::fs::create_dir_all(&stage).unwrap();
    let bin = stage.join("ratesim");
    std::fs::write(
        &bin,
        "#!/bin/sh\necho 'ratesim 9.9.9 (catalogue 2099-01-01)'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let archive = format!("{name}.tar.gz");
    let ok = Command::new("tar")
        .args(["-czf", &archive, &name])
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(ok.success());
    let sum = Command::new("sha256sum")
        .arg(&archive)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(sum.status.success());
    std::fs::write(dir.join(format!("{archive}.sha256")), &sum.stdout).unwrap();
    archive
}

#[cfg(unix)]
#[test]
fn the_installer_checks_the_checksum_and_installs_the_binary() {
    if Command::new("sha256sum").arg("--version").output().is_err()
        || Command::new("curl").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs sha256sum and curl");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("release");
    std::fs::create_dir(&release).unwrap();
    let archive = fake_release(&release);
    let to = dir.path().join("bin");
    let install = |to: &Path| {
        Command::new("sh")
            .arg("install.sh")
            .args(["--to", to.to_str().unwrap(), "--version", "v9.9.9"])
            .env(
                "RATESIM_DOWNLOAD_URL",
                format!("file://{}", release.display()),
            )
            .env("HOME", dir.path())
            .output()
            .unwrap()
    };
    let out = install(&to);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("installed ratesim 9.9.9 (catalogue 2099-01-01)"),
        "{err}"
    );
    let v = Command::new(to.join("ratesim")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&v.stdout),
        "ratesim 9.9.9 (catalogue 2099-01-01)\n"
    );

    // A download that does not match its checksum is not installed.
    let sum = release.join(format!("{archive}.sha256"));
    let text = std::fs::read_to_string(&sum).unwrap();
    std::fs::write(&sum, format!("{}{}", "0".repeat(64), &text[64..])).unwrap();
    let to2 = dir.path().join("bin2");
    let out = install(&to2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("checksum mismatch"), "{err}");
    assert!(!to2.join("ratesim").exists());

    let out = Command::new("sh")
        .args(["install.sh", "--bogus"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument '--bogus'"));
}

#[test]
fn the_readme_says_how_to_install_right_after_its_first_commands() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let first = readme.lines().find(|l| l.starts_with("## ")).unwrap();
    assert_eq!(first, "## Install");
    let (_, install) = readme.split_once("## Install").unwrap();
    let install = install.split("\n## ").next().unwrap();
    for must in [
        "cargo install --locked --path .",
        "install.sh | sh",
        "docker run",
        "ratesim completions",
        "ratesim man",
    ] {
        assert!(install.contains(must), "Install section lacks `{must}`");
    }
    // The README still opens with the two commands.
    assert!(readme.contains("cargo run --release -- simulate scenarios/tier1.yaml"));
}

/// The image the README and the Kubernetes example run: a multi-stage build
/// whose final stage is just the binary and `/scenarios`, built from files
/// `.dockerignore` lets into the context.
#[test]
fn the_dockerfile_ships_the_binary_and_the_scenarios_from_an_allowed_context() {
    let text = std::fs::read_to_string("Dockerfile").unwrap();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    let froms: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("FROM "))
        .copied()
        .collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    assert!(
        froms[0].starts_with("FROM rust:1.89-alpine AS "),
        "{}",
        froms[0]
    );
    assert_eq!(froms[1], "FROM scratch");
    // The toolchain is the crate's minimum.
    let manifest = std::fs::read_to_string("Cargo.toml").unwrap();
    assert!(manifest.contains("rust-version = \"1.89\""));

    let allowed: Vec<String> = std::fs::read_to_string(".dockerignore")
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix('!'))
        .map(|l| l.trim_end_matches('/').to_string())
        .collect();
    let final_stage = text.split("FROM scratch").nth(1).unwrap();
    for l in &lines {
        let Some(rest) = l.strip_prefix("COPY ") else {
            continue;
        };
        if rest.starts_with("--from") {
            continue;
        }
        let words: Vec<&str> = rest.split_whitespace().collect();
        for src in &words[..words.len() - 1] {
            assert!(Path::new(src).exists(), "Dockerfile copies missing {src}");
            assert!(
                allowed.iter().any(|a| a == src),
                ".dockerignore excludes {src}"
            );
        }
    }
    assert!(
        final_stage.contains("COPY scenarios /scenarios"),
        "{final_stage}"
    );
    assert!(final_stage.contains("ENTRYPOINT [\"/usr/local/bin/ratesim\"]"));
    assert!(
        final_stage.contains("USER "),
        "the image should not run as root"
    );
    // The manifest's benches must be in the build context, or cargo refuses
    // to read it.
    assert!(allowed.iter().any(|a| a == "benches"));
    let k8s = std::fs::read_to_string("examples/k8s/sweep-job.yaml").unwrap();
    assert!(k8s.contains("\"/scenarios/tier1.yaml\""));
    assert!(Path::new("scenarios/tier1.yaml").is_file());
}
