//! The compare gate as data: a candidate against a baseline, metric by
//! metric, with paired 95 % intervals and one verdict.

use crate::analysis::compare::{MetricDiff, Runs, Verdict, compare};

/// One side-by-side comparison of two strategies.
#[derive(Debug, serde::Serialize)]
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
}

/// The whole `compare` answer.
#[derive(Debug, serde::Serialize)]
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
    let metrics = compare(base, cand, tolerance);
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
    }
}

/// The per-metric means of saved runs, as a nested JSON result (so
/// assertions can read `baseline` values from a baseline file).
pub fn mean_value(runs: &Runs) -> serde_json::Value {
    let mut root = serde_json::Value::Object(Default::default());
    let Some(first) = runs.first() else {
        return root;
    };
    for path in first.keys() {
        let xs: Vec<f64> = runs.iter().filter_map(|r| r.get(path).copied()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let parts: Vec<&str> = path.split('.').collect();
        crate::analysis::sweep::set_path_public(&mut root, &parts, serde_json::json!(mean));
    }
    root
}
