//! `ratesim sweep`: evaluate a grid of scenario parameters with replications,
//! in parallel; `--shard i/n` runs a deterministic slice and `ratesim merge`
//! joins slices into exactly what one unsharded run writes.

mod merge;
mod param;
mod set;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analysis::checks::CheckError;
use crate::analysis::compare::{Direction, METRICS};
use crate::analysis::replicate::{self, ReplicateError, Stat};
use crate::scenario::{Scenario, ScenarioError};

pub use merge::{MergeError, merge};
pub use param::{Param, ParamError};
pub use set::{SetParamError, set_param};

/// Why a sweep's points could not be built or evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// A swept path that does not lead to a value of the scenario.
    #[error(transparent)]
    Param(#[from] SetParamError),
    /// A point whose parameter values make the scenario invalid (a rate of
    /// -1, a fraction above 1); the scenario error's message only, since
    /// the edited text is not the user's file.
    #[error("point {index} ({params}): {}", .source.message)]
    Point {
        /// Index in the full grid.
        index: usize,
        /// The point's values, `path=value, …`.
        params: String,
        /// Why the edited scenario does not load.
        source: Box<ScenarioError>,
    },
    /// The swept strategy is missing from a point's scenario.
    #[error("no strategy `{0}`")]
    NoStrategy(String),
    /// `--metric` is not a path to a number of a result.
    #[error("--metric `{0}` is not a metric of a result")]
    NotAMetric(String),
    /// The runs could not be made: the worker pool would not start, or a
    /// run could not (see [`ReplicateError`]).
    #[error(transparent)]
    Pool(#[from] ReplicateError),
    /// An assertion cannot be judged on a point's result.
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// The sweep as defined on the command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// Scenario name.
    pub scenario: String,
    /// Master seed.
    pub seed: u64,
    /// Strategy evaluated at each point.
    pub strategy: String,
    /// Swept parameters, outermost first.
    pub params: Vec<Param>,
    /// Replications per point.
    pub replications: u32,
    /// Metric that ranks the points.
    pub metric: String,
    /// Whether lower or higher is better for it.
    pub goal: Direction,
    /// Assertions a point must pass to be eligible as best.
    pub assertions: Vec<String>,
    /// The `--duration` override, if any: shards run with different ones
    /// must not be merged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

impl Definition {
    /// Number of grid points.
    pub fn points(&self) -> usize {
        self.params.iter().map(|p| p.values.len()).product()
    }

    /// Parameter values of point `i` (the last parameter varies fastest).
    pub fn point(&self, mut i: usize) -> Vec<Value> {
        let mut out = vec![Value::Null; self.params.len()];
        for (j, p) in self.params.iter().enumerate().rev() {
            out[j] = p.values[i % p.values.len()].clone();
            i /= p.values.len();
        }
        out
    }
}

/// One evaluated grid point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Index in the full grid.
    pub index: usize,
    /// Parameter path → value.
    pub params: BTreeMap<String, Value>,
    /// The ranking metric over replications.
    pub metric: Stat,
    /// Every compared metric's mean and interval.
    pub metrics: BTreeMap<String, Stat>,
    /// Whether every assertion held (on the means).
    pub passed: bool,
    /// The assertions that failed, with by how much.
    pub failures: Vec<String>,
}

/// A sweep's output (or one shard of it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepReport {
    /// Layout version.
    pub schema_version: u32,
    /// The ratesim version and catalogue date that evaluated the points;
    /// absent in files from versions that did not record it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ratesim: Option<crate::report::Provenance>,
    /// What was swept.
    pub definition: Definition,
    /// `[i, n]` for a shard; absent for a whole sweep.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shard: Option<[usize; 2]>,
    /// Evaluated points, by index.
    pub points: Vec<Point>,
    /// Index of the best point that passes the assertions, if any.
    pub best: Option<usize>,
}

impl SweepReport {
    /// Picks the best passing point (ties: lowest index).
    pub fn rank(&mut self) {
        let better = |a: f64, b: f64| match self.definition.goal {
            Direction::LowerIsBetter => a < b,
            Direction::HigherIsBetter => a > b,
        };
        let mut best: Option<&Point> = None;
        for p in self
            .points
            .iter()
            .filter(|p| p.passed && p.metric.mean.is_finite())
        {
            if best.is_none_or(|b| better(p.metric.mean, b.metric.mean)) {
                best = Some(p);
            }
        }
        self.best = best.map(|p| p.index);
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        crate::report::json::pretty(self)
    }

    /// One CSV row per point.
    pub fn to_csv(&self) -> String {
        let d = &self.definition;
        let mut s = String::new();
        let mut head: Vec<String> = vec!["index".into()];
        head.extend(d.params.iter().map(|p| p.path.clone()));
        head.extend([
            format!("{}_mean", d.metric),
            format!("{}_ci95_lo", d.metric),
            format!("{}_ci95_hi", d.metric),
        ]);
        head.extend(METRICS.iter().map(|(m, _)| format!("{m}_mean")));
        head.push("passed".into());
        s.push_str(&head.join(","));
        s.push('\n');
        for p in &self.points {
            let mut row = vec![p.index.to_string()];
            for q in &d.params {
                row.push(match &p.params[&q.path] {
                    Value::String(x) => x.clone(),
                    v => v.to_string(),
                });
            }
            row.extend([p.metric.mean, p.metric.lo(), p.metric.hi()].map(fmt));
            for (m, _) in METRICS {
                row.push(p.metrics.get(*m).map_or(String::new(), |s| fmt(s.mean)));
            }
            row.push(p.passed.to_string());
            s.push_str(&row.join(","));
            s.push('\n');
        }
        s
    }
}

fn fmt(x: f64) -> String {
    let r = crate::text::num::round(x, 6);
    format!("{r}")
}

/// Builds the scenario of every point in `indices`.
pub fn variants(
    doc: &Value,
    file: &str,
    def: &Definition,
    indices: &[usize],
) -> Result<Vec<Scenario>, SweepError> {
    indices
        .iter()
        .map(|&i| {
            let mut d = doc.clone();
            for (p, v) in def.params.iter().zip(def.point(i)) {
                set_param(&mut d, &p.path, v)?;
            }
            let text = crate::report::json::compact(&d);
            Scenario::from_yaml_str(file, &text).map_err(|e| {
                let vals: Vec<String> = def
                    .params
                    .iter()
                    .zip(def.point(i))
                    .map(|(p, v)| format!("{}={v}", p.path))
                    .collect();
                SweepError::Point {
                    index: i,
                    params: vals.join(", "),
                    source: Box::new(e),
                }
            })
        })
        .collect()
}

/// The indices shard `i` of `n` (1-based) evaluates: every n-th point.
pub fn shard_indices(points: usize, shard: Option<[usize; 2]>) -> Vec<usize> {
    match shard {
        None => (0..points).collect(),
        Some([i, n]) => (0..points).filter(|k| k % n == i - 1).collect(),
    }
}

/// Evaluates points: every (point, replication) pair in parallel; the result
/// of each lands in its slot, so thread count never changes the output.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    def: &Definition,
    scenarios: &[Scenario],
    indices: &[usize],
    threads: usize,
    tick: &(dyn Fn() + Sync),
    judge: &(dyn Fn(&Value) -> Result<Vec<String>, CheckError> + Sync),
) -> Result<Vec<Point>, SweepError> {
    let specs = scenarios
        .iter()
        .map(|sc| {
            sc.strategies
                .iter()
                .find(|s| s.name == def.strategy)
                .ok_or_else(|| SweepError::NoStrategy(def.strategy.clone()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let cases: Vec<(&Scenario, &crate::strategy::StrategySpec)> =
        scenarios.iter().zip(specs).collect();
    let per_point = replicate::run_cases(&cases, def.replications, threads, tick)?;
    per_point
        .into_iter()
        .zip(indices)
        .map(|(runs, &index)| {
            let st = replicate::stats(&runs);
            let summary = replicate::summary_value(&replicate::Replicated {
                strategy: def.strategy.clone(),
                runs,
            });
            let metric = *st
                .get(&def.metric)
                .ok_or_else(|| SweepError::NotAMetric(def.metric.clone()))?;
            let failures = judge(&summary)?;
            Ok(Point {
                index,
                params: def
                    .params
                    .iter()
                    .zip(def.point(index))
                    .map(|(p, v)| (p.path.clone(), v))
                    .collect(),
                metric,
                metrics: METRICS
                    .iter()
                    .filter_map(|(m, _)| st.get(*m).map(|s| (m.to_string(), *s)))
                    .collect(),
                passed: failures.is_empty(),
                failures,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_lists_parse() {
        let p = Param::parse("strategy.token_bucket.fraction=0.5..1.0:0.1").unwrap();
        assert_eq!(p.values.len(), 6);
        assert_eq!(p.values[0], serde_json::json!(0.5));
        assert_eq!(p.values[5], serde_json::json!(1));
        let q = Param::parse("streams.chat.rate_per_min=20,40,80").unwrap();
        assert_eq!(
            q.values,
            vec![
                serde_json::json!(20),
                serde_json::json!(40),
                serde_json::json!(80)
            ]
        );
        assert!(Param::parse("nothing").is_err());
        assert!(Param::parse("a.b=1..0:1").is_err());
        assert!(Param::parse("a.=1").is_err());
    }

    #[test]
    fn grid_points_vary_the_last_parameter_fastest() {
        let def = Definition {
            scenario: "s".into(),
            seed: 1,
            strategy: "x".into(),
            params: vec![
                Param::parse("a=1,2").unwrap(),
                Param::parse("b=10,20,30").unwrap(),
            ],
            replications: 1,
            metric: "cost_usd".into(),
            goal: Direction::LowerIsBetter,
            assertions: vec![],
            duration: None,
        };
        assert_eq!(def.points(), 6);
        assert_eq!(
            def.point(0),
            vec![serde_json::json!(1), serde_json::json!(10)]
        );
        assert_eq!(
            def.point(4),
            vec![serde_json::json!(2), serde_json::json!(20)]
        );
        assert_eq!(shard_indices(6, Some([2, 3])), vec![1, 4]);
    }

    #[test]
    fn set_param_finds_named_entries_and_nested_keys() {
        let mut doc = serde_json::json!({
            "streams": [{"name": "chat", "arrivals": {"poisson": {"rate_per_min": 10}}}],
            "strategies": ["token_bucket", {"name": "b", "preset": "exponential_backoff"}],
        });
        set_param(&mut doc, "streams.chat.rate_per_min", serde_json::json!(40)).unwrap();
        assert_eq!(doc["streams"][0]["arrivals"]["poisson"]["rate_per_min"], 40);
        set_param(
            &mut doc,
            "strategy.token_bucket.fraction",
            serde_json::json!(0.5),
        )
        .unwrap();
        assert_eq!(
            doc["strategies"][0]["pacing"]["token_bucket"]["fraction"],
            0.5
        );
        assert_eq!(doc["strategies"][0]["preset"], "token_bucket");
        set_param(&mut doc, "pools.sonnet-4.rpm", serde_json::json!(100)).unwrap();
        assert_eq!(doc["pools"]["sonnet-4"]["rpm"], 100);
        assert!(set_param(&mut doc, "streams.nope.x", serde_json::json!(1)).is_err());
        // Lists are entered by entry name or by 0-based index.
        let mut doc = serde_json::json!({
            "workspaces": [{"name": "search", "limits": {"sonnet-4": {"rpm": 400}}}],
            "overload": {"windows": [{"start": "1h", "rate": 0.1}, {"start": "2h", "rate": 0.2}]},
            "classes": ["interactive", "background"],
        });
        set_param(
            &mut doc,
            "workspaces.search.limits.sonnet-4.rpm",
            serde_json::json!(500),
        )
        .unwrap();
        assert_eq!(doc["workspaces"][0]["limits"]["sonnet-4"]["rpm"], 500);
        set_param(&mut doc, "overload.windows.1.rate", serde_json::json!(0.5)).unwrap();
        assert_eq!(doc["overload"]["windows"][1]["rate"], 0.5);
        assert_eq!(doc["overload"]["windows"][0]["rate"], 0.1);
        set_param(&mut doc, "classes.1", serde_json::json!("batch")).unwrap();
        assert_eq!(doc["classes"], serde_json::json!(["interactive", "batch"]));
        let e = set_param(&mut doc, "overload.windows.2.rate", serde_json::json!(1)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "overload.windows.2.rate: `overload.windows` has no entry `2` \
             (give its name or 0-based index)"
        );
        assert!(set_param(&mut doc, "streams.chat.nope", serde_json::json!(1)).is_err());
    }
}
