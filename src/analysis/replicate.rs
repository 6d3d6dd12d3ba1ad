//! Replications: the same scenario under independent seeds, in parallel, with
//! a mean and a 95 % confidence interval for every metric.
//!
//! Replication `k` runs with [`replication_seed`]`(seed, k)`; replication 0 is
//! the scenario's own seed, so one replication is exactly a plain run. The
//! work is spread over a rayon pool but every result lands in its slot by
//! index, so the output never depends on the number of threads.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde_json::Value;
use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::report::StrategyResult;
use crate::scenario::Scenario;
use crate::sim::{self, SimError};
use crate::strategy::StrategySpec;
use crate::text::num::round;

/// The seed of replication `k` (0 is the master seed itself).
pub fn replication_seed(master: u64, k: u32) -> u64 {
    if k == 0 {
        return master;
    }
    // SplitMix64 of (master, k): independent streams for every k.
    let mut z = master ^ (k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One strategy's result in every replication, in replication order.
#[derive(Clone, Debug)]
pub struct Replicated {
    /// Strategy name.
    pub strategy: String,
    /// Per replication.
    pub runs: Vec<StrategyResult>,
}

/// Most replications a command may ask for: every run's result is kept in
/// memory, and past this the confidence intervals no longer narrow usefully.
pub const MAX_REPLICATIONS: u32 = 100_000;

/// Most worker threads `--jobs` may ask for.
pub const MAX_JOBS: usize = 1024;

/// Why replications (or a sweep's runs) could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplicateError {
    /// More worker threads than [`MAX_JOBS`]: almost surely a typo, and
    /// each thread reserves a stack.
    #[error("--jobs must be at most {MAX_JOBS}, got {0}")]
    TooManyJobs(usize),
    /// The operating system would not start the worker threads.
    #[error("cannot start {threads} worker threads: {source}")]
    ThreadPool {
        /// Threads asked for (0: one per core).
        threads: usize,
        /// Why rayon could not build the pool.
        source: rayon::ThreadPoolBuildError,
    },
    /// A replication count outside 1..=[`MAX_REPLICATIONS`]: zero runs have
    /// no mean, and every run's result is kept in memory.
    #[error("--replications must be between 1 and {MAX_REPLICATIONS}, got {0}")]
    Replications(u32),
    /// A run could not start (a scenario edited in code).
    #[error(transparent)]
    Sim(#[from] SimError),
}

/// A pool of `threads` workers (0: one per core) for replications and
/// sweeps; results never depend on the count.
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool, ReplicateError> {
    if threads > MAX_JOBS {
        return Err(ReplicateError::TooManyJobs(threads));
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|source| ReplicateError::ThreadPool { threads, source })
}

/// Fails unless `n` is between 1 and [`MAX_REPLICATIONS`].
pub fn check_replications(n: u32) -> Result<(), ReplicateError> {
    if (1..=MAX_REPLICATIONS).contains(&n) {
        Ok(())
    } else {
        Err(ReplicateError::Replications(n))
    }
}

/// Runs every strategy `n` times (replication `k` with seed
/// [`replication_seed`]`(scenario seed, k)`, the same seeds for every
/// strategy), in parallel on `threads` workers (0: one per core). Results
/// are placed by index, so they never depend on the thread count. `tick` is
/// called after each run (a progress bar).
pub fn run(
    scenario: &Scenario,
    strategies: &[StrategySpec],
    n: u32,
    threads: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<Replicated>, ReplicateError> {
    let cases: Vec<(&Scenario, &StrategySpec)> = strategies.iter().map(|s| (scenario, s)).collect();
    let runs = run_cases(&cases, n, threads, tick)?;
    Ok(strategies
        .iter()
        .zip(runs)
        .map(|(s, runs)| Replicated {
            strategy: s.name.clone(),
            runs,
        })
        .collect())
}

/// The one parallel harness behind replications, comparisons and sweeps:
/// each (scenario, strategy) case `n` times, replication `k` seeded with
/// [`replication_seed`]`(that scenario's seed, k)`; one task per run, the
/// results of case `c` in slot `c`, in replication order.
pub fn run_cases(
    cases: &[(&Scenario, &StrategySpec)],
    n: u32,
    threads: usize,
    tick: &(dyn Fn() + Sync),
) -> Result<Vec<Vec<StrategyResult>>, ReplicateError> {
    check_replications(n)?;
    let jobs: Vec<(usize, u32)> = (0..cases.len())
        .flat_map(|c| (0..n).map(move |k| (c, k)))
        .collect();
    let pool = thread_pool(threads)?;
    let results: Vec<Result<StrategyResult, SimError>> = pool.install(|| {
        // One task per run: runs differ in length, so let idle threads
        // steal single runs rather than halves of the list.
        jobs.par_iter()
            .with_max_len(1)
            .map(|&(c, k)| {
                let (scenario, spec) = cases[c];
                let mut sc = scenario.clone();
                sc.sim.seed = replication_seed(scenario.sim.seed, k);
                let m = sim::run(&sc.sim, spec)?;
                tick();
                Ok(StrategyResult::new(&sc, spec, &m))
            })
            .collect()
    });
    let mut out: Vec<Vec<StrategyResult>> = (0..cases.len())
        .map(|_| Vec::with_capacity(n as usize))
        .collect();
    for ((c, _), r) in jobs.iter().zip(results) {
        out[*c].push(r?);
    }
    Ok(out)
}

/// Every numeric leaf of a JSON value by dotted path. Arrays of objects with
/// a `model` key are keyed by it (`by_model.claude-haiku-4-5.cost_usd`).
pub fn flatten(v: &Value) -> BTreeMap<String, f64> {
    crate::path::leaves(v)
}

/// Calls `f` with the dotted path of every number in `v` (the one place
/// that decides how paths are spelled, so [`flatten`] and
/// [`summary_value`] always agree).
fn for_each_number(v: &mut Value, path: &str, f: &mut dyn FnMut(&str, &mut Value)) {
    // `crate::path` spells the paths; `get_mut` reads each one back.
    for p in crate::path::leaves(v).into_keys() {
        if let Ok(n) = crate::path::get_mut(v, &p) {
            match (path.is_empty(), p.is_empty()) {
                (true, _) => f(&p, n),
                (false, true) => f(path, n),
                (false, false) => f(&format!("{path}.{p}"), n),
            }
        }
    }
}

/// Mean and 95 % confidence interval of a sample.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Stat {
    /// Sample mean.
    pub mean: f64,
    /// Half-width of the 95 % Student-t interval (0 for one value).
    pub half_width: f64,
    /// Sample size.
    pub n: usize,
}

impl Stat {
    /// Summarises `xs`.
    pub fn of(xs: &[f64]) -> Stat {
        let n = xs.len();
        if n == 0 {
            return Stat {
                mean: f64::NAN,
                half_width: f64::NAN,
                n,
            };
        }
        let mean = xs.iter().sum::<f64>() / n as f64;
        if n < 2 {
            return Stat {
                mean,
                half_width: 0.0,
                n,
            };
        }
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        Stat {
            mean,
            half_width: t975(n - 1) * (var / n as f64).sqrt(),
            n,
        }
    }

    /// Lower end of the interval.
    pub fn lo(&self) -> f64 {
        self.mean - self.half_width
    }

    /// Upper end of the interval.
    pub fn hi(&self) -> f64 {
        self.mean + self.half_width
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom.
pub fn t975(df: usize) -> f64 {
    StudentsT::new(0.0, 1.0, df as f64)
        .map(|t| t.inverse_cdf(0.975))
        .unwrap_or(f64::NAN)
}

/// Per-metric statistics over replications.
pub fn stats(runs: &[StrategyResult]) -> BTreeMap<String, Stat> {
    let values: Vec<Value> = runs.iter().map(crate::report::json::value).collect();
    stats_of(&values)
}

/// [`stats`] of results already turned into JSON.
fn stats_of(values: &[Value]) -> BTreeMap<String, Stat> {
    let flat: Vec<BTreeMap<String, f64>> = values.iter().map(flatten).collect();
    // Every path any run has. A run that lacks it counts as described at
    // [`sample`]: a counter left out because it was zero is 0, a metric
    // with no samples (null) is not a sample at all.
    let paths: std::collections::BTreeSet<&String> = flat.iter().flat_map(|f| f.keys()).collect();
    paths
        .into_iter()
        .map(|path| {
            let xs: Vec<f64> = flat
                .iter()
                .zip(values)
                .filter_map(|(f, v)| f.get(path).copied().or_else(|| sample(v, path)))
                .collect();
            (path.clone(), Stat::of(&xs))
        })
        .collect()
}

/// A run's value at `path` when [`flatten`] found no number there: 0 when
/// the object that would hold it is present but the key is not (reports
/// leave rare counters out when they are zero, so averaging only the runs
/// that have them would bias the mean up), nothing when the value is null
/// (a latency with no samples) or the object itself is missing.
fn sample(v: &Value, path: &str) -> Option<f64> {
    match crate::path::get(v, path) {
        Ok(x) => x.as_f64(),
        Err(crate::path::PathError::NoKey { at, segment, .. })
            if path == segment
                || path.strip_suffix(segment.as_str()) == Some(&format!("{at}.")) =>
        {
            Some(0.0)
        }
        Err(_) => None,
    }
}

/// Sets `path` to `x` where the first run left a counter out (it was zero
/// there): the object that holds it exists, the key does not.
fn fill_missing(v: &mut Value, path: &str, x: Value) {
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (Some(p), k),
        None => (None, path),
    };
    let node = match parent {
        Some(p) => crate::path::get_mut(v, p).ok(),
        None => Some(v),
    };
    if let Some(Value::Object(m)) = node
        && !m.contains_key(key)
    {
        m.insert(key.to_string(), x);
    }
}

/// Sets the `null` leaf at `path` (through objects only) to `x`.
fn fill_null(v: &mut Value, path: &str, x: Value) {
    let mut node = v;
    for key in path.split('.') {
        match node {
            Value::Object(m) => match m.get_mut(key) {
                Some(child) => node = child,
                None => return,
            },
            _ => return,
        }
    }
    if node.is_null() {
        *node = x;
    }
}

/// A result object of the usual shape whose numbers are replication means,
/// plus `replications` and `ci95` (`path → [lo, hi]`), so assertions and
/// tools that read a single run read the means.
pub fn summary_value(r: &Replicated) -> Value {
    let st = stats(&r.runs);
    let mut v = crate::report::json::value(&r.runs.first());
    for_each_number(&mut v, "", &mut |path, n| {
        if let Some(s) = st.get(path)
            && let Some(x) = serde_json::Number::from_f64(round(s.mean, 6))
        {
            *n = Value::Number(x);
        }
    });
    // A metric null in the first run but present in others gets its mean,
    // and so does a counter the first run left out for being zero.
    for (path, s) in &st {
        if let Some(x) = serde_json::Number::from_f64(round(s.mean, 6)) {
            fill_null(&mut v, path, Value::Number(x.clone()));
            fill_missing(&mut v, path, Value::Number(x));
        }
    }
    let ci: serde_json::Map<String, Value> = st
        .iter()
        .filter(|(_, s)| s.n > 1)
        .map(|(k, s)| {
            (
                k.clone(),
                serde_json::json!([round(s.lo(), 6), round(s.hi(), 6)]),
            )
        })
        .collect();
    if let Value::Object(m) = &mut v {
        m.insert("replications".into(), Value::from(r.runs.len()));
        m.insert("ci95".into(), Value::Object(ci));
    }
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_counter_left_out_for_being_zero_counts_as_zero_and_a_null_not_at_all() {
        let runs = [
            serde_json::json!({"failed": 4, "truncated": 3, "latency_ms": {"p99": null}}),
            serde_json::json!({"failed": 2, "latency_ms": {"p99": 100.0}}),
            serde_json::json!({"failed": 0, "truncated": 1, "latency_ms": {"p99": 300.0}}),
        ];
        let st = stats_of(&runs);
        // (3 + 0 + 1) / 3, not (3 + 1) / 2.
        assert_eq!(st["truncated"].n, 3);
        assert!((st["truncated"].mean - 4.0 / 3.0).abs() < 1e-12);
        // The null is no sample: (100 + 300) / 2 over two runs.
        assert_eq!(st["latency_ms.p99"].n, 2);
        assert_eq!(st["latency_ms.p99"].mean, 200.0);
        // A whole object missing is no sample either.
        let partial = [
            serde_json::json!({"by_class": {"a": {"failed": 1}}}),
            serde_json::json!({"by_class": {"a": {}}}),
        ];
        assert_eq!(stats_of(&partial)["by_class.a.failed"].n, 2);
        assert_eq!(stats_of(&partial)["by_class.a.failed"].mean, 0.5);
        let missing = [
            serde_json::json!({"by_class": {"a": {"failed": 1}}}),
            serde_json::json!({"by_class": {}}),
        ];
        assert_eq!(stats_of(&missing)["by_class.a.failed"].n, 1);
    }

    use super::*;

    #[test]
    fn t_quantiles_match_tables() {
        // Standard two-sided 95 % critical values.
        assert!((t975(1) - 12.706).abs() < 1e-3);
        assert!((t975(9) - 2.262).abs() < 1e-3);
        assert!((t975(29) - 2.045).abs() < 1e-3);
    }

    #[test]
    fn stat_of_a_small_sample() {
        // mean 3, sample sd sqrt(2.5), n = 5: half-width 2.776 × sqrt(2.5/5).
        let s = Stat::of(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert_eq!(s.mean, 3.0);
        assert!((s.half_width - 2.776_445 * (0.5f64).sqrt()).abs() < 1e-5);
        assert_eq!(Stat::of(&[7.0]).half_width, 0.0);
    }

    #[test]
    fn replication_zero_is_the_master_seed_and_others_differ() {
        assert_eq!(replication_seed(42, 0), 42);
        let seeds: std::collections::BTreeSet<u64> =
            (0..1000).map(|k| replication_seed(42, k)).collect();
        assert_eq!(seeds.len(), 1000);
    }

    #[test]
    fn a_null_leaf_is_filled_only_through_objects() {
        let mut v = serde_json::json!({"a": {"b": null, "c": 1}, "d": [null]});
        fill_null(&mut v, "a.b", Value::from(2.5));
        fill_null(&mut v, "a.c", Value::from(9));
        fill_null(&mut v, "d.0", Value::from(9));
        assert_eq!(v, serde_json::json!({"a": {"b": 2.5, "c": 1}, "d": [null]}));
    }

    #[test]
    fn flatten_keys_model_arrays_by_model() {
        let v = serde_json::json!({"a": 1, "b": {"c": 2.5}, "by_model": [{"model": "m1", "x": 3}], "s": "t"});
        let f = flatten(&v);
        assert_eq!(f["a"], 1.0);
        assert_eq!(f["b.c"], 2.5);
        assert_eq!(f["by_model.m1.x"], 3.0);
        assert_eq!(f.len(), 3);
    }
}
