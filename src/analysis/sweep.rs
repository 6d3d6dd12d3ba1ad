//! `ratesim sweep`: evaluate a grid of scenario parameters with replications,
//! in parallel; `--shard i/n` runs a deterministic slice and `ratesim merge`
//! joins slices into exactly what one unsharded run writes.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::analysis::checks::CheckError;
use crate::analysis::compare::{Direction, METRICS};
use crate::analysis::replicate::{self, ReplicateError, Stat, replication_seed};
use crate::report::StrategyResult;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{self, SimError};

/// A `--param PATH=VALUES` that does not parse. Every message starts with
/// the flag as given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// No `=` between the path and the values.
    #[error("--param `{spec}`: expected PATH=VALUES, e.g. streams.chat.rate_per_min=20,40,80")]
    NoValuesGiven {
        /// The flag as given.
        spec: String,
    },
    /// An empty path, or one with an empty segment (`a..b`, `.a`).
    #[error("--param `{spec}`: `{path}` is not a dotted path")]
    NotAPath {
        /// The flag as given.
        spec: String,
        /// The path part.
        path: String,
    },
    /// A range bound or step (`a..b:step`) that is not a number.
    #[error("--param `{spec}`: `{value}` is not a number")]
    NotANumber {
        /// The flag as given.
        spec: String,
        /// The part that is not a number.
        value: String,
    },
    /// A range that runs backwards or does not advance.
    #[error("--param `{spec}`: a range needs a <= b and a step > 0")]
    EmptyRange {
        /// The flag as given.
        spec: String,
    },
    /// A range of more than 10,000 values (a step too small for its span).
    #[error("--param `{spec}`: {count} values is too many")]
    TooManyValues {
        /// The flag as given.
        spec: String,
        /// Values the range would give.
        count: usize,
    },
    /// Nothing after the `=`, or an empty item in a list (`1,,2`).
    #[error("--param `{spec}`: no values")]
    NoValues {
        /// The flag as given.
        spec: String,
    },
}

/// A swept path that does not lead to a value of the scenario. Every
/// message starts with the path.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetParamError {
    /// `streams.FIELD` or `strategies` alone: entries are addressed by name.
    #[error("{path}: name a {list} entry, e.g. {list}.NAME.FIELD")]
    NoEntryName {
        /// The swept path.
        path: String,
        /// `streams` or `strategies`.
        list: &'static str,
    },
    /// The scenario has no such list to address an entry of.
    #[error("{path}: the scenario has no `{list}` list")]
    NoList {
        /// The swept path.
        path: String,
        /// `streams` or `strategies`.
        list: &'static str,
    },
    /// No entry of the list has that name.
    #[error("{path}: no {list} entry named `{name}`")]
    NoSuchEntry {
        /// The swept path.
        path: String,
        /// `streams` or `strategies`.
        list: &'static str,
        /// The name looked for.
        name: String,
    },
    /// An entry named, but no field of it (`streams.chat`).
    #[error("{path}: name a field of `{name}`")]
    NoField {
        /// The swept path.
        path: String,
        /// The entry.
        name: String,
    },
    /// A field neither set in the entry (nor uniquely below it) nor one of
    /// the layer fields a bare preset leaves out: where to create it is
    /// ambiguous.
    #[error("{path}: `{field}` is not set in `{name}`; write the full path to it")]
    NotSet {
        /// The swept path.
        path: String,
        /// The field, dotted.
        field: String,
        /// The entry.
        name: String,
    },
    /// A list on the way with no entry of that name or index.
    #[error("{path}: `{at}` has no entry `{key}` (give its name or 0-based index)")]
    NoListEntry {
        /// The swept path.
        path: String,
        /// The list, dotted.
        at: String,
        /// The key looked for.
        key: String,
    },
    /// A scalar on the way, where a mapping would have to be.
    #[error("{path}: `{at}` is not a mapping")]
    NotAMapping {
        /// The swept path.
        path: String,
        /// The scalar, dotted.
        at: String,
    },
}

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
    /// The worker pool could not start.
    #[error(transparent)]
    Pool(#[from] ReplicateError),
    /// A run could not start.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// An assertion cannot be judged on a point's result.
    #[error(transparent)]
    Check(#[from] CheckError),
}

/// Why shard reports cannot be merged into one sweep.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No shard given.
    #[error("merge needs at least one shard file")]
    NoShards,
    /// Shards of different sweeps (grid, seed, strategy, metric, …).
    #[error("the shard files come from different sweeps (definitions differ)")]
    DifferentSweeps,
    /// A point in two shards (the same shard given twice, or shards of
    /// different `--shard I/N` splits).
    #[error("the same point appears in more than one shard")]
    Duplicate,
    /// A point index outside the sweep's grid (an edited file).
    #[error("a shard has point {index}, but the sweep has only {points} points (0..{points})")]
    OutOfRange {
        /// The point's index.
        index: usize,
        /// Points in the grid.
        points: usize,
    },
    /// Points no shard holds: a shard was left out.
    #[error(
        "{} of {points} points are missing (e.g. {}); merge every shard",
        .points - .present,
        join(.examples)
    )]
    Missing {
        /// Points in the grid.
        points: usize,
        /// Points the shards hold.
        present: usize,
        /// The first (up to ten) missing indices.
        examples: Vec<usize>,
    },
}

fn join(indices: &[usize]) -> String {
    let s: Vec<String> = indices.iter().map(usize::to_string).collect();
    s.join(", ")
}

/// One swept parameter: a path into the scenario and its values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// As written, e.g. `strategy.token_bucket.fraction`.
    pub path: String,
    /// Values in sweep order.
    pub values: Vec<Value>,
}

impl Param {
    /// Parses `PATH=a..b:step`, `PATH=v1,v2,...` or `PATH=v`.
    pub fn parse(spec: &str) -> Result<Param, ParamError> {
        let (path, values) = spec
            .split_once('=')
            .ok_or_else(|| ParamError::NoValuesGiven { spec: spec.into() })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(ParamError::NotAPath {
                spec: spec.into(),
                path: path.into(),
            });
        }
        let values = values.trim();
        let parsed = if let Some((range, step)) = values.split_once(':')
            && let Some((a, b)) = range.split_once("..")
        {
            let num = |x: &str| {
                x.trim().parse::<f64>().map_err(|_| ParamError::NotANumber {
                    spec: spec.into(),
                    value: x.into(),
                })
            };
            let (a, b, step) = (num(a)?, num(b)?, num(step)?);
            if step.is_nan() || step <= 0.0 || b < a {
                return Err(ParamError::EmptyRange { spec: spec.into() });
            }
            let n = ((b - a) / step + 1e-9).floor() as usize + 1;
            if n > 10_000 {
                return Err(ParamError::TooManyValues {
                    spec: spec.into(),
                    count: n,
                });
            }
            (0..n)
                .map(|i| number((a + step * i as f64 * 1.0).clamp(a, b)))
                .collect()
        } else {
            values
                .split(',')
                .map(|v| scalar(v.trim()))
                .collect::<Vec<_>>()
        };
        if parsed.is_empty() || parsed.iter().any(|v| v == &Value::String(String::new())) {
            return Err(ParamError::NoValues { spec: spec.into() });
        }
        Ok(Param {
            path: path.to_string(),
            values: parsed,
        })
    }
}

/// A number as JSON, integral values as integers (limits must be whole).
fn number(x: f64) -> Value {
    let x = crate::text::num::round(x, 9);
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

fn scalar(s: &str) -> Value {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => number(x),
        _ => match s {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(s.to_string()),
        },
    }
}

/// Layer fields a strategy written as a bare preset name does not spell
/// out, and where they live.
const STRATEGY_FIELDS: &[(&str, &[&str])] = &[
    ("fraction", &["pacing", "token_bucket", "fraction"]),
    (
        "safety_tokens",
        &["pacing", "header_driven", "safety_tokens"],
    ),
    ("k", &["pacing", "adaptive_throttle", "k"]),
    ("base", &["retry", "backoff", "base"]),
    ("cap", &["retry", "backoff", "cap"]),
    ("max_retries", &["retry", "backoff", "max_retries"]),
    ("jitter", &["retry", "backoff", "jitter"]),
    ("concurrency", &["concurrency", "fixed"]),
    ("fixed", &["concurrency", "fixed"]),
    ("background_reserve", &["background_reserve"]),
];

/// Sets `path` to `value` in a scenario held as a JSON value. Named lists
/// (`streams`, `strategies`) are addressed by name; a missing last key is
/// looked for anywhere below (`streams.chat.rate_per_min` finds
/// `arrivals.poisson.rate_per_min`).
pub fn set_param(doc: &mut Value, path: &str, value: Value) -> Result<(), SetParamError> {
    let parts: Vec<&str> = path.split('.').collect();
    let (list, rest) = match parts[0] {
        "strategy" | "strategies" => ("strategies", &parts[1..]),
        "stream" | "streams" => ("streams", &parts[1..]),
        _ => return set_path(doc, &parts, value, path),
    };
    let Some((name, field)) = rest.split_first() else {
        return Err(SetParamError::NoEntryName {
            path: path.into(),
            list,
        });
    };
    let entries = doc
        .get_mut(list)
        .and_then(Value::as_array_mut)
        .ok_or_else(|| SetParamError::NoList {
            path: path.into(),
            list,
        })?;
    let entry = entries
        .iter_mut()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name) || e.as_str() == Some(name))
        .ok_or_else(|| SetParamError::NoSuchEntry {
            path: path.into(),
            list,
            name: name.to_string(),
        })?;
    if let Some(preset) = entry.as_str().map(str::to_string) {
        *entry = serde_json::json!({"name": preset, "preset": preset});
    }
    if field.is_empty() {
        return Err(SetParamError::NoField {
            path: path.into(),
            name: name.to_string(),
        });
    }
    if set_existing(entry, field, value.clone()) {
        return Ok(());
    }
    if list == "strategies"
        && field.len() == 1
        && let Some((_, at)) = STRATEGY_FIELDS.iter().find(|(f, _)| *f == field[0])
    {
        return set_path(entry, at, value, path);
    }
    Err(SetParamError::NotSet {
        path: path.into(),
        field: field.join("."),
        name: name.to_string(),
    })
}

/// Sets an existing path, or a unique key of that name below it.
fn set_existing(node: &mut Value, field: &[&str], value: Value) -> bool {
    let Some((&first, rest)) = field.split_first() else {
        *node = value;
        return true;
    };
    if let Some(child) = child_mut(node, first) {
        return set_existing(child, rest, value);
    }
    if rest.is_empty() {
        let mut hits = Vec::new();
        find_keys(node, first, &mut Vec::new(), &mut hits);
        if let [only] = hits.as_slice()
            && let Some(slot) = only
                .iter()
                .try_fold(node, |n, k| n.get_mut(k.as_str()))
                .and_then(|n| n.get_mut(first))
        {
            *slot = value;
            return true;
        }
    }
    false
}

fn find_keys(node: &Value, key: &str, at: &mut Vec<String>, hits: &mut Vec<Vec<String>>) {
    if let Value::Object(m) = node {
        if m.contains_key(key) {
            hits.push(at.clone());
        }
        for (k, v) in m {
            at.push(k.clone());
            find_keys(v, key, at, hits);
            at.pop();
        }
    }
}

/// The child of a mapping by key, or of a list by entry name or 0-based
/// index (`workspaces.search`, `overload.windows.0`).
fn child_mut<'a>(node: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    crate::path::child_mut(node, key)
}

/// Sets `path` below `node`; `swept` is the whole swept path, for errors.
fn set_path(
    node: &mut Value,
    path: &[&str],
    value: Value,
    swept: &str,
) -> Result<(), SetParamError> {
    let mut n = node;
    for (i, k) in path.iter().enumerate() {
        if n.is_array() {
            let at = path[..i].join(".");
            let Some(child) = child_mut(n, k) else {
                return Err(SetParamError::NoListEntry {
                    path: swept.into(),
                    at,
                    key: k.to_string(),
                });
            };
            if i + 1 == path.len() {
                *child = value;
                return Ok(());
            }
            n = child;
            continue;
        }
        let Some(m) = n.as_object_mut() else {
            return Err(SetParamError::NotAMapping {
                path: swept.into(),
                at: path[..i].join("."),
            });
        };
        if i + 1 == path.len() {
            m.insert(k.to_string(), value);
            return Ok(());
        }
        n = m
            .entry(k.to_string())
            .or_insert_with(|| Value::Object(Default::default()));
    }
    Ok(())
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
    let n = def.replications;
    let jobs: Vec<(usize, u32)> = (0..scenarios.len())
        .flat_map(|p| (0..n).map(move |k| (p, k)))
        .collect();
    let pool = crate::analysis::replicate::thread_pool(threads)?;
    let runs: Vec<Result<StrategyResult, SweepError>> = pool.install(|| {
        // One task per run: runs differ in length, so let idle threads
        // steal single runs rather than halves of the list.
        jobs.par_iter()
            .with_max_len(1)
            .map(|&(p, k)| {
                let mut sc = scenarios[p].clone();
                sc.sim.seed = replication_seed(sc.sim.seed, k);
                let spec = sc
                    .strategies
                    .iter()
                    .find(|s| s.name == def.strategy)
                    .ok_or_else(|| SweepError::NoStrategy(def.strategy.clone()))?
                    .clone();
                let m = sim::run(&sc.sim, &spec)?;
                tick();
                Ok(StrategyResult::new(&sc, &spec, &m))
            })
            .collect()
    });
    let mut per_point: Vec<Vec<StrategyResult>> = vec![Vec::new(); scenarios.len()];
    for ((p, _), r) in jobs.iter().zip(runs) {
        per_point[*p].push(r?);
    }
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

/// Joins shard reports into the report of the whole sweep.
pub fn merge(shards: Vec<SweepReport>) -> Result<SweepReport, MergeError> {
    let Some(first) = shards.first() else {
        return Err(MergeError::NoShards);
    };
    let def = first.definition.clone();
    let mut points: Vec<Point> = Vec::new();
    for s in &shards {
        if s.definition != def {
            return Err(MergeError::DifferentSweeps);
        }
        points.extend(s.points.iter().cloned());
    }
    points.sort_by_key(|p| p.index);
    let before = points.len();
    points.dedup_by_key(|p| p.index);
    if points.len() != before {
        return Err(MergeError::Duplicate);
    }
    let want = def.points();
    if let Some(p) = points.iter().find(|p| p.index >= want) {
        return Err(MergeError::OutOfRange {
            index: p.index,
            points: want,
        });
    }
    if points.len() != want {
        let have: std::collections::BTreeSet<usize> = points.iter().map(|p| p.index).collect();
        return Err(MergeError::Missing {
            points: want,
            present: points.len(),
            examples: (0..want).filter(|i| !have.contains(i)).take(10).collect(),
        });
    }
    let mut r = SweepReport {
        schema_version: 1,
        definition: def,
        shard: None,
        points,
        best: None,
    };
    r.rank();
    Ok(r)
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
