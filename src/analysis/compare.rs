//! Comparing two strategies (or a strategy against a saved baseline) with
//! common random numbers: replication `k` of both sides uses the same seed,
//! so each metric's difference is paired and its confidence interval narrow.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::replicate::{Stat, flatten};
use crate::report::StrategyResult;

/// Whether a larger value of a metric is good or bad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Latency, 429s, failures, cost.
    LowerIsBetter,
    /// Successes, goodput.
    HigherIsBetter,
}

/// The metrics a comparison reports, in order, with their direction.
pub const METRICS: &[(&str, Direction)] = &[
    ("succeeded", Direction::HigherIsBetter),
    ("failed", Direction::LowerIsBetter),
    ("attempts", Direction::LowerIsBetter),
    ("rate_limited.total", Direction::LowerIsBetter),
    ("overloaded", Direction::LowerIsBetter),
    ("latency_ms.p50", Direction::LowerIsBetter),
    ("latency_ms.p90", Direction::LowerIsBetter),
    ("latency_ms.p99", Direction::LowerIsBetter),
    ("latency_ms.p999", Direction::LowerIsBetter),
    ("queue_wait_ms", Direction::LowerIsBetter),
    ("goodput_per_min", Direction::HigherIsBetter),
    ("slo_attainment", Direction::HigherIsBetter),
    ("cost_usd", Direction::LowerIsBetter),
];

/// Whether lower or higher is better for any metric path: one of
/// [`METRICS`], or a path that ends with one (`by_class.interactive.
/// latency_ms.p99`, `by_model.claude-haiku-4-5.cost_usd`). `None` when the
/// path names no metric ratesim knows the good direction of.
pub fn direction_of(path: &str) -> Option<Direction> {
    METRICS.iter().find_map(|&(m, d)| {
        (path == m || path.strip_suffix(m).is_some_and(|head| head.ends_with('.'))).then_some(d)
    })
}

/// Metrics whose significant worsening fails the gate unless told otherwise.
pub const DEFAULT_GATE: &[&str] = &["failed", "rate_limited.total", "latency_ms.p99", "cost_usd"];

/// The verdict on one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Significantly better (the interval excludes zero on the good side).
    Better,
    /// Significantly worse.
    Worse,
    /// The interval includes zero, or the change is below the tolerance.
    NoSignificantChange,
}

impl Verdict {
    /// Words for tables.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Better => "better",
            Verdict::Worse => "worse",
            Verdict::NoSignificantChange => "no significant change",
        }
    }
}

/// One metric compared.
#[derive(Clone, Debug, Serialize)]
pub struct MetricDiff {
    /// Dotted metric path.
    pub metric: String,
    /// Direction used for the verdict.
    pub direction: Direction,
    /// Baseline mean and interval.
    pub baseline: Stat,
    /// Candidate mean and interval.
    pub candidate: Stat,
    /// Candidate − baseline, paired by replication where both have the same
    /// replications (common random numbers), else Welch-style unpaired.
    pub difference: Stat,
    /// Verdict.
    pub verdict: Verdict,
}

impl MetricDiff {
    /// The difference relative to the baseline mean (NaN when that is 0).
    pub fn relative(&self) -> f64 {
        if self.baseline.mean == 0.0 {
            f64::NAN
        } else {
            self.difference.mean / self.baseline.mean.abs()
        }
    }
}

/// Per-replication metric values of one side of a comparison.
pub type Runs = Vec<BTreeMap<String, f64>>;

/// Flattens results into per-replication metric maps.
pub fn runs_of(results: &[StrategyResult]) -> Runs {
    results
        .iter()
        .map(|r| flatten(&crate::report::json::value(r)))
        .collect()
}

/// Compares `candidate` against `baseline` on [`METRICS`]. A difference
/// counts only if its 95 % interval excludes zero and its size exceeds
/// `tolerance` × the baseline mean (so trivial but certain changes pass).
///
/// A metric can be missing from a run (`null` in JSON: a latency when
/// nothing succeeded). Each side's mean is then over the runs that have it,
/// and the paired difference over the replications where both sides have
/// it; a metric no run of one side has is left out.
pub fn compare(baseline: &Runs, candidate: &Runs, tolerance: f64) -> Vec<MetricDiff> {
    compare_on(baseline, candidate, tolerance, &[])
}

/// [`compare`] on [`METRICS`] and, after them, any other metric paths
/// (`--fail-on by_class.interactive.latency_ms.p99`); a path without a
/// known direction ([`direction_of`]) is skipped.
pub fn compare_on(
    baseline: &Runs,
    candidate: &Runs,
    tolerance: f64,
    extra: &[&str],
) -> Vec<MetricDiff> {
    let extra = extra
        .iter()
        .filter(|p| !METRICS.iter().any(|(m, _)| m == *p))
        .filter_map(|&p| Some((p, direction_of(p)?)));
    METRICS
        .iter()
        .copied()
        .chain(extra)
        .filter_map(|(metric, direction)| {
            let b: Vec<f64> = baseline
                .iter()
                .filter_map(|r| r.get(metric).copied())
                .collect();
            let c: Vec<f64> = candidate
                .iter()
                .filter_map(|r| r.get(metric).copied())
                .collect();
            if b.is_empty() || c.is_empty() {
                return None;
            }
            let (bs, cs) = (Stat::of(&b), Stat::of(&c));
            let difference = if baseline.len() == candidate.len() {
                // Pair replication k with replication k, and only where both
                // sides have the metric (a latency is missing from a run
                // in which nothing succeeded).
                let d: Vec<f64> = baseline
                    .iter()
                    .zip(candidate)
                    .filter_map(|(x, y)| Some(y.get(metric)? - x.get(metric)?))
                    .collect();
                Stat::of(&d)
            } else {
                // Unpaired: combine the two standard errors.
                Stat {
                    mean: cs.mean - bs.mean,
                    half_width: (bs.half_width.powi(2) + cs.half_width.powi(2)).sqrt(),
                    n: b.len().min(c.len()),
                }
            };
            let significant = difference.n >= 2
                && (difference.lo() > 0.0 || difference.hi() < 0.0)
                && difference.mean.abs() > tolerance * bs.mean.abs();
            let verdict = match (significant, direction, difference.mean > 0.0) {
                (false, ..) => Verdict::NoSignificantChange,
                (true, Direction::LowerIsBetter, true)
                | (true, Direction::HigherIsBetter, false) => Verdict::Worse,
                _ => Verdict::Better,
            };
            Some(MetricDiff {
                metric: metric.to_string(),
                direction,
                baseline: bs,
                candidate: cs,
                difference,
                verdict,
            })
        })
        .collect()
}

/// The per-metric means of saved runs, as a nested JSON result (so
/// assertions can read `baseline` values from a baseline file). Each path
/// is split on `.` into nested objects, which [`crate::path::get`] reads
/// back by the same rule.
pub fn mean_value(runs: &Runs) -> serde_json::Value {
    let mut root = serde_json::Map::new();
    // Every path any run has (a latency is missing where nothing succeeded).
    let paths: std::collections::BTreeSet<&String> = runs.iter().flat_map(|r| r.keys()).collect();
    for path in paths {
        let xs: Vec<f64> = runs.iter().filter_map(|r| r.get(path).copied()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let parts: Vec<&str> = path.split('.').collect();
        insert(&mut root, &parts, serde_json::json!(mean));
    }
    serde_json::Value::Object(root)
}

/// Puts `value` at `parts` below `map`, making objects on the way; a path
/// that clashes with a number already there is skipped.
fn insert(
    map: &mut serde_json::Map<String, serde_json::Value>,
    parts: &[&str],
    value: serde_json::Value,
) {
    match parts {
        [] => {}
        [leaf] => {
            map.entry(leaf.to_string()).or_insert(value);
        }
        [head, rest @ ..] => {
            if let serde_json::Value::Object(m) = map
                .entry(head.to_string())
                .or_insert_with(|| serde_json::Value::Object(Default::default()))
            {
                insert(m, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(metric: &str, xs: &[f64]) -> Runs {
        xs.iter()
            .map(|&x| BTreeMap::from([(metric.to_string(), x)]))
            .collect()
    }

    #[test]
    fn mean_value_nests_the_means_so_paths_read_them_back() {
        let runs: Runs = vec![
            BTreeMap::from([
                ("latency_ms.p99".to_string(), 100.0),
                ("cost_usd".into(), 1.0),
            ]),
            BTreeMap::from([
                ("latency_ms.p99".to_string(), 300.0),
                ("cost_usd".into(), 2.0),
            ]),
            BTreeMap::from([("cost_usd".to_string(), 3.0)]),
        ];
        let v = mean_value(&runs);
        assert_eq!(
            v,
            serde_json::json!({"latency_ms": {"p99": 200.0}, "cost_usd": 2.0})
        );
        assert_eq!(crate::path::get(&v, "latency_ms.p99").unwrap(), 200.0);
    }

    #[test]
    fn any_path_ending_in_a_metric_has_its_direction() {
        assert_eq!(direction_of("cost_usd"), Some(Direction::LowerIsBetter));
        assert_eq!(
            direction_of("by_class.interactive.latency_ms.p99"),
            Some(Direction::LowerIsBetter)
        );
        assert_eq!(
            direction_of("by_class.chat.goodput_per_min"),
            Some(Direction::HigherIsBetter)
        );
        assert_eq!(direction_of("xcost_usd"), None);
        assert_eq!(direction_of("seed"), None);
    }

    #[test]
    fn extra_paths_are_compared_after_the_standard_metrics() {
        let b = runs("by_class.a.cost_usd", &[1.0, 1.0, 1.0]);
        let c = runs("by_class.a.cost_usd", &[2.0, 2.1, 2.2]);
        let d = compare_on(&b, &c, 0.0, &["by_class.a.cost_usd", "seed"]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].metric, "by_class.a.cost_usd");
        assert_eq!(d[0].verdict, Verdict::Worse);
        assert!(compare(&b, &c, 0.0).is_empty());
    }

    #[test]
    fn paired_differences_detect_a_consistent_shift() {
        // Baseline noisy, candidate = baseline + 10 exactly: the paired
        // difference has zero variance and is significant.
        let b = runs("latency_ms.p99", &[100.0, 300.0, 200.0, 250.0]);
        let c = runs("latency_ms.p99", &[110.0, 310.0, 210.0, 260.0]);
        let d = &compare(&b, &c, 0.0)[0];
        assert_eq!(d.verdict, Verdict::Worse);
        assert_eq!(d.difference.mean, 10.0);
        assert_eq!(d.difference.half_width, 0.0);
        // Same data reversed: better.
        assert_eq!(compare(&c, &b, 0.0)[0].verdict, Verdict::Better);
    }

    #[test]
    fn identical_runs_show_no_change_and_tolerance_hides_tiny_ones() {
        let b = runs("cost_usd", &[1.0, 2.0, 3.0]);
        assert_eq!(
            compare(&b, &b, 0.0)[0].verdict,
            Verdict::NoSignificantChange
        );
        let c = runs("cost_usd", &[1.001, 2.001, 3.001]);
        assert_eq!(compare(&b, &c, 0.0)[0].verdict, Verdict::Worse);
        assert_eq!(
            compare(&b, &c, 0.01)[0].verdict,
            Verdict::NoSignificantChange
        );
    }

    #[test]
    fn higher_is_better_metrics_flip_the_verdict() {
        let b = runs("goodput_per_min", &[10.0, 11.0, 12.0]);
        let c = runs("goodput_per_min", &[12.0, 13.0, 14.0]);
        assert_eq!(compare(&b, &c, 0.0)[0].verdict, Verdict::Better);
    }

    #[test]
    fn missing_values_are_left_out_and_pairs_need_both_sides() {
        // Replication 1 of the baseline has no p99 (nothing succeeded).
        let mut b = runs("latency_ms.p99", &[100.0, 0.0, 200.0, 300.0]);
        b[1].clear();
        let c = runs("latency_ms.p99", &[110.0, 5000.0, 210.0, 310.0]);
        let d = &compare(&b, &c, 0.0)[0];
        assert_eq!(d.baseline.n, 3);
        assert_eq!(d.baseline.mean, 200.0);
        assert_eq!(d.candidate.n, 4);
        // Pairs 0, 2 and 3 only: +10 each, so significant with zero width.
        assert_eq!((d.difference.n, d.difference.mean), (3, 10.0));
        assert_eq!(d.difference.half_width, 0.0);
        assert_eq!(d.verdict, Verdict::Worse);
    }

    #[test]
    fn a_noisy_difference_is_not_significant() {
        let b = runs("failed", &[10.0, 20.0, 30.0]);
        let c = runs("failed", &[25.0, 12.0, 29.0]);
        assert_eq!(
            compare(&b, &c, 0.0)[0].verdict,
            Verdict::NoSignificantChange
        );
    }
}
