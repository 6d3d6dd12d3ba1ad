//! Golden determinism: the JSON report of every scenario in `scenarios/` is
//! pinned byte for byte (`tests/snapshots/`), and replications give the same
//! bytes on one worker thread as on two.
//!
//! When may a snapshot change? Only in a commit that changes the model, a
//! strategy, a scenario or the report schema *on purpose*, and whose message
//! says why the numbers moved. A refactor or an optimisation must leave every
//! snapshot untouched — that is what these tests are for. To accept an
//! intended change: `cargo insta review` (or `INSTA_UPDATE=always cargo test
//! --test golden`), then read the diff before committing it.

mod common;

use std::path::Path;

use common::cli::{run_ok, stdout};

/// The stdout of a successful run (named so the snapshots' `expression:`
/// stays `report(&args)`).
fn report(args: &[&str]) -> String {
    stdout(&run_ok(args))
}

fn scenarios() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The benchmark scenarios simulate months; their snapshots pin a slice of
/// the same model (`--duration`), which a debug build runs in seconds.
const BENCH_SLICE: &str = "200m";

#[test]
fn every_scenario_report_matches_its_snapshot() {
    let names = scenarios();
    assert!(names.len() >= 10, "scenarios/ lost examples: {names:?}");
    for name in names {
        let path = Path::new("scenarios").join(format!("{name}.yaml"));
        let mut args = vec!["simulate", path.to_str().unwrap(), "--format", "json"];
        if name.starts_with("bench-") {
            args.extend(["--duration", BENCH_SLICE]);
        }
        insta::assert_snapshot!(format!("report-{name}"), report(&args));
    }
}

#[test]
fn replications_are_identical_on_one_and_two_threads() {
    let run = |jobs: &str| {
        report(&[
            "simulate",
            "scenarios/tier1.yaml",
            "--replications",
            "4",
            "--jobs",
            jobs,
            "--format",
            "json",
        ])
    };
    let one = run("1");
    assert_eq!(one, run("2"), "--jobs 1 and --jobs 2 differ");
    insta::assert_snapshot!("replications-tier1-x4", one);
}

/// The example reports in `reports/` (linked from the README) are what the
/// README's commands write today: a change that moves a number or a pixel
/// must regenerate them in the same commit.
#[test]
fn the_committed_example_reports_are_current() {
    let dir = tempfile::tempdir().unwrap();
    let commands: [(&str, &[&str]); 3] = [
        ("tier1", &["simulate", "scenarios/tier1.yaml"]),
        (
            "plan-tier1",
            &[
                "plan",
                "scenarios/plan-growth.yaml",
                "--growth",
                "15%/month",
                "--months",
                "12",
            ],
        ),
        (
            "plan-imported-org",
            &[
                "plan",
                "scenarios/imported-org.yaml",
                "--growth",
                "10%/month",
                "--months",
                "12",
            ],
        ),
    ];
    for (name, command) in commands {
        let out = dir.path().join(name);
        let mut args = command.to_vec();
        args.extend(["--out", out.to_str().unwrap()]);
        report(&args);
        let committed = Path::new("reports").join(name);
        let mut files: Vec<_> = std::fs::read_dir(&committed)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        files.sort();
        let mut written: Vec<_> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        written.sort();
        assert_eq!(
            files, written,
            "reports/{name} holds other files than the command writes"
        );
        for f in files {
            let same =
                std::fs::read(committed.join(&f)).unwrap() == std::fs::read(out.join(&f)).unwrap();
            assert!(
                same,
                "reports/{name}/{} is stale: rerun `ratesim {} --out reports/{name} --force`",
                f.to_string_lossy(),
                command.join(" ")
            );
        }
    }
}
