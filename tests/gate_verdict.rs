//! One verdict, computed once (`Comparison::verdict`): whatever the output
//! format, a failing gate says FAIL and exits 1, a passing one says PASS and
//! exits 0 — whether it fails by a regression, by an assertion or by both.
//!
//! Regression test: `compare scenarios/ci-gate.yaml -n 3 --assert
//! 'latency_ms.p99 < 1' --format markdown` printed `### ratesim gate: PASS`
//! and exited 1 (the Markdown renderer looked at regressions only).
//!
//! Every format goes through the binary (exit code and text), and the
//! library (`export::render`) must give the binary's exact bytes.

mod common;

use common::cli::ratesim;
use common::fixtures::root;
use ratesim::analysis::checks::{assertions, judge_all};
use ratesim::analysis::compare::{DEFAULT_GATE, runs_of};
use ratesim::analysis::gate::{CompareReport, build};
use ratesim::analysis::replicate::{self, summary_value};
use ratesim::export::{Format, render};
use ratesim::scenario::Scenario;

const REPLICATIONS: &str = "3";

/// Why a case should fail, if it should.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Pass,
    Regression,
    Assertion,
    Both,
}

struct Case {
    scenario: &'static str,
    asserts: &'static [&'static str],
    expect: Expect,
}

const CASES: [Case; 4] = [
    // p99 regresses (a 10 s..120 s backoff), no assertion fails.
    Case {
        scenario: "tests/fixtures/gate-fail.yaml",
        asserts: &[],
        expect: Expect::Regression,
    },
    // No metric regresses, an impossible assertion on the candidate fails.
    Case {
        scenario: "scenarios/ci-gate.yaml",
        asserts: &["latency_ms.p99 < 1"],
        expect: Expect::Assertion,
    },
    Case {
        scenario: "tests/fixtures/gate-fail.yaml",
        asserts: &["latency_ms.p99 < 1"],
        expect: Expect::Both,
    },
    // The scenario's own assertions hold and nothing regresses.
    Case {
        scenario: "scenarios/ci-gate.yaml",
        asserts: &[],
        expect: Expect::Pass,
    },
];

fn cli(case: &Case, format: &str) -> (i32, String) {
    let mut args = vec![
        "compare",
        case.scenario,
        "--baseline",
        "current",
        "--candidate",
        "proposed",
        "-n",
        REPLICATIONS,
        "--format",
        format,
    ];
    for a in case.asserts {
        args.extend(["--assert", a]);
    }
    let out = ratesim().args(&args).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{args:?} exited {code}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (code, stdout)
}

/// The same comparison the CLI makes, through the library.
fn library(case: &Case) -> CompareReport {
    let scenario = Scenario::load(&root().join(case.scenario)).unwrap();
    let find = |n: &str| {
        scenario
            .strategies
            .iter()
            .find(|s| s.name == n)
            .unwrap()
            .clone()
    };
    let specs = [find("current"), find("proposed")];
    let n: u32 = REPLICATIONS.parse().unwrap();
    let reps = replicate::run(&scenario, &specs, n, 1, &|| {}).unwrap();
    let mut c = build(
        reps[0].strategy.clone(),
        reps[1].strategy.clone(),
        &runs_of(&reps[0].runs),
        &runs_of(&reps[1].runs),
        0.01,
        DEFAULT_GATE,
    );
    let flags: Vec<String> = case.asserts.iter().map(|s| s.to_string()).collect();
    let checks = assertions(&scenario, &flags).unwrap();
    let judged = judge_all(
        &checks,
        &c.candidate,
        &summary_value(&reps[1]),
        Some(&summary_value(&reps[0])),
    )
    .unwrap();
    (c.held_assertions, c.failed_assertions) = (judged.held, judged.failed);
    CompareReport {
        schema_version: 1,
        scenario: scenario.name.clone(),
        seed: scenario.sim.seed,
        replications: n,
        tolerance: 0.01,
        comparisons: vec![c],
    }
}

#[test]
fn every_format_says_what_the_exit_code_says() {
    for case in &CASES {
        let fails = case.expect != Expect::Pass;
        let (word, shout, code) = if fails {
            ("fail", "FAIL", 1)
        } else {
            ("pass", "PASS", 0)
        };
        let report = library(case);
        let v = report.verdict();
        assert_eq!(v.passed, !fails, "{:?}: {:?}", case.expect, v.reasons);
        let regressed = v
            .reasons
            .iter()
            .any(|r| r.starts_with("significantly worse"));
        let asserted = v.reasons.iter().any(|r| r.starts_with("assertion failed"));
        assert_eq!(
            (regressed, asserted),
            match case.expect {
                Expect::Pass => (false, false),
                Expect::Regression => (true, false),
                Expect::Assertion => (false, true),
                Expect::Both => (true, true),
            },
            "{:?}: {:?}",
            case.expect,
            v.reasons
        );

        let (c, table) = cli(case, "table");
        assert_eq!(c, code, "{table}");
        assert!(
            table.contains(&format!("gate: {shout} (proposed vs current)")),
            "{table}"
        );
        assert!(
            !table.contains(if fails { "PASS" } else { "FAIL" }),
            "{table}"
        );

        let (c, md) = cli(case, "markdown");
        assert_eq!(c, code, "{md}");
        assert!(
            md.starts_with(&format!("### ratesim gate: {shout} — ")),
            "{md}"
        );
        assert!(!md.contains(if fails { "PASS" } else { "FAIL" }), "{md}");

        let (c, json) = cli(case, "json");
        assert_eq!(c, code, "{json}");
        let j: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(j["verdict"], word, "{json}");
        assert_eq!(j["comparisons"][0]["verdict"], word, "{json}");
        assert_eq!(
            j["comparisons"][0]["reasons"].as_array().unwrap().len(),
            v.reasons.len()
        );

        // The library renders what the binary prints, byte for byte.
        assert_eq!(render(&report, Format::Table).unwrap(), table);
        assert_eq!(render(&report, Format::Markdown).unwrap(), md);
        assert_eq!(render(&report, Format::Json).unwrap(), json);
        assert_eq!(report.exit_code(), code as u8);

        // CSV: every row carries the comparison's verdict.
        let (c, csv) = cli(case, "csv");
        assert_eq!(c, code, "{csv}");
        assert_eq!(render(&report, Format::Csv).unwrap(), csv);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let gate = header.iter().position(|h| *h == "gate").unwrap();
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), report.comparisons[0].metrics.len());
        for r in &rows {
            assert_eq!(r.len(), header.len(), "{csv}");
            assert_eq!(r[gate], word, "{csv}");
        }
    }
}
