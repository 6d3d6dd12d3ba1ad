//! The compare gate as data: a candidate against a baseline, metric by
//! metric, with paired 95 % intervals and one verdict.

use crate::analysis::compare::{MetricDiff, Runs, Verdict, compare_on};

/// One side-by-side comparison of two strategies. Its JSON adds the
/// [`GateVerdict`] (`"verdict": "pass" | "fail"`, `"reasons"`), computed
/// from the fields when serialised, so it can never disagree with them.
#[derive(Debug)]
pub struct Comparison {
    /// Baseline strategy (`name@file` for a saved baseline).
    pub baseline: String,
    /// Candidate strategy.
    pub candidate: String,
    /// Per metric.
    pub metrics: Vec<MetricDiff>,
    /// Gated metrics that got significantly worse.
    pub regressions: Vec<String>,
    /// Assertions on the candidate that failed, with by how much.
    pub failed_assertions: Vec<String>,
    /// Assertions on the candidate that held, with their margin (listed as
    /// `simulate` lists them, so a reader sees what was checked).
    pub held_assertions: Vec<String>,
}

/// The gate's answer on one comparison, or on a whole report: the one place
/// that decides PASS or FAIL. Every renderer (table, JSON, Markdown, CSV)
/// and the exit code read it from here.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct GateVerdict {
    /// No gated metric got significantly worse and every assertion held.
    pub passed: bool,
    /// Why it failed, one line each: the regressed metrics, then each
    /// failed assertion. Empty when it passed.
    pub reasons: Vec<String>,
}

impl GateVerdict {
    /// `"pass"` or `"fail"` (the JSON and CSV spelling).
    pub fn word(&self) -> &'static str {
        if self.passed { "pass" } else { "fail" }
    }

    /// `"PASS"` or `"FAIL"` (tables and Markdown).
    pub fn shout(&self) -> &'static str {
        if self.passed { "PASS" } else { "FAIL" }
    }

    /// The process exit code of a gate with this verdict: 0 pass, 1 fail.
    pub fn exit_code(&self) -> u8 {
        if self.passed { 0 } else { 1 }
    }
}

impl Comparison {
    /// The gate's verdict: fails when a gated metric got significantly
    /// worse ([`Comparison::regressions`]) or an assertion on the candidate
    /// failed ([`Comparison::failed_assertions`]).
    pub fn verdict(&self) -> GateVerdict {
        let mut reasons = Vec::new();
        if !self.regressions.is_empty() {
            reasons.push(format!(
                "significantly worse: {}",
                self.regressions.join(", ")
            ));
        }
        reasons.extend(
            self.failed_assertions
                .iter()
                .map(|f| format!("assertion failed: {f}")),
        );
        GateVerdict {
            passed: reasons.is_empty(),
            reasons,
        }
    }

    /// Whether the gate passes ([`Comparison::verdict`]).
    pub fn passed(&self) -> bool {
        self.verdict().passed
    }
}

impl serde::Serialize for Comparison {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            baseline: &'a str,
            candidate: &'a str,
            metrics: &'a [MetricDiff],
            regressions: &'a [String],
            failed_assertions: &'a [String],
            held_assertions: &'a [String],
            verdict: &'static str,
            reasons: Vec<String>,
        }
        let v = self.verdict();
        Json {
            baseline: &self.baseline,
            candidate: &self.candidate,
            metrics: &self.metrics,
            regressions: &self.regressions,
            failed_assertions: &self.failed_assertions,
            held_assertions: &self.held_assertions,
            verdict: v.word(),
            reasons: v.reasons,
        }
        .serialize(s)
    }
}

/// The whole `compare` answer. Its JSON ends with the overall
/// `"verdict": "pass" | "fail"` ([`CompareReport::verdict`]).
#[derive(Debug)]
pub struct CompareReport {
    /// Layout version.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Replications per side.
    pub replications: u32,
    /// Smallest relative change that counts.
    pub tolerance: f64,
    /// One per candidate.
    pub comparisons: Vec<Comparison>,
}

impl CompareReport {
    /// Fails when any comparison fails; the reasons name the candidate
    /// when there is more than one comparison.
    pub fn verdict(&self) -> GateVerdict {
        let many = self.comparisons.len() > 1;
        let reasons: Vec<String> = self
            .comparisons
            .iter()
            .flat_map(|c| {
                c.verdict().reasons.into_iter().map(move |r| {
                    if many {
                        format!("{} vs {}: {r}", c.candidate, c.baseline)
                    } else {
                        r
                    }
                })
            })
            .collect();
        GateVerdict {
            passed: reasons.is_empty(),
            reasons,
        }
    }

    /// Whether every comparison passes.
    pub fn passed(&self) -> bool {
        self.comparisons.iter().all(Comparison::passed)
    }

    /// 0 when the gate passes, 1 when it fails.
    pub fn exit_code(&self) -> u8 {
        self.verdict().exit_code()
    }
}

impl serde::Serialize for CompareReport {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Json<'a> {
            schema_version: u32,
            ratesim: crate::report::Provenance,
            scenario: &'a str,
            seed: u64,
            replications: u32,
            tolerance: f64,
            comparisons: &'a [Comparison],
            verdict: &'static str,
        }
        Json {
            schema_version: self.schema_version,
            ratesim: crate::report::Provenance::current(),
            scenario: &self.scenario,
            seed: self.seed,
            replications: self.replications,
            tolerance: self.tolerance,
            comparisons: &self.comparisons,
            verdict: self.verdict().word(),
        }
        .serialize(s)
    }
}

/// Compares `cand` with `base` and lists the gated metrics that got
/// significantly worse.
pub fn build(
    baseline: String,
    candidate: String,
    base: &Runs,
    cand: &Runs,
    tolerance: f64,
    gate: &[&str],
) -> Comparison {
    let metrics = compare_on(base, cand, tolerance, gate);
    let regressions = metrics
        .iter()
        .filter(|m| m.verdict == Verdict::Worse && gate.contains(&m.metric.as_str()))
        .map(|m| m.metric.clone())
        .collect();
    Comparison {
        baseline,
        candidate,
        metrics,
        regressions,
        failed_assertions: Vec::new(),
        held_assertions: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comparison(regressions: &[&str], failed: &[&str]) -> Comparison {
        Comparison {
            baseline: "a".into(),
            candidate: "b".into(),
            metrics: Vec::new(),
            regressions: regressions.iter().map(|s| s.to_string()).collect(),
            failed_assertions: failed.iter().map(|s| s.to_string()).collect(),
            held_assertions: Vec::new(),
        }
    }

    #[test]
    fn a_regression_or_a_failed_assertion_fails_the_gate() {
        assert!(comparison(&[], &[]).passed());
        let v = comparison(&["cost_usd"], &[]).verdict();
        assert_eq!(v.reasons, ["significantly worse: cost_usd"]);
        assert_eq!((v.passed, v.exit_code()), (false, 1));
        let v = comparison(&[], &["x < 1: 2 is not < 1"]).verdict();
        assert_eq!(v.reasons, ["assertion failed: x < 1: 2 is not < 1"]);
        assert!(!v.passed);
        let v = comparison(&["failed", "cost_usd"], &["y"]).verdict();
        assert_eq!(v.reasons.len(), 2);
    }

    #[test]
    fn the_json_carries_the_verdict_of_each_comparison_and_the_whole() {
        let r = CompareReport {
            schema_version: 1,
            scenario: "s".into(),
            seed: 1,
            replications: 3,
            tolerance: 0.01,
            comparisons: vec![comparison(&[], &[]), comparison(&[], &["z"])],
        };
        let v = crate::report::json::value(&r);
        assert_eq!(v["verdict"], "fail");
        assert_eq!(v["comparisons"][0]["verdict"], "pass");
        assert_eq!(v["comparisons"][1]["verdict"], "fail");
        assert_eq!(v["comparisons"][1]["reasons"][0], "assertion failed: z");
        assert_eq!(r.verdict().reasons, ["b vs a: assertion failed: z"]);
        assert_eq!(r.exit_code(), 1);
    }
}
