//! `ratesim sweep` and `ratesim merge`.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::args::{Format, ScenarioArgs, find_strategy};
use super::output::{OutputError, prepare_dir, write_bytes, write_text};
use super::progress::progress;
use super::{CliError, print};
use crate::analysis::checks::judge_point;
use crate::analysis::compare::Direction;
use crate::analysis::sweep::SweepReport;
use crate::scenario::Scenario;

/// Arguments of `ratesim sweep`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim sweep scenarios/tier1.yaml --param strategy.token_bucket.fraction=0.5..1.0:0.1
  ratesim sweep scenarios/tier1.yaml --param strategy.token_bucket.max_retries=0,2,4 -n 10 --assert 'failed == 0' --out sweep/
  ratesim sweep scenarios/tier1.yaml --param streams.chat.rate_per_min=20,40,80 --shard 2/4 --out shard2/")]
pub struct SweepArgs {
    /// The scenario; `--seed` and `--duration` apply at every point.
    #[command(flatten)]
    pub run: ScenarioArgs,
    /// A swept parameter, repeatable: `PATH=a..b:step` or `PATH=v1,v2,...`
    /// (e.g. `strategy.token_bucket.fraction=0.5..1.0:0.1`,
    /// `streams.chat.rate_per_min=20,40,80`, `pools.sonnet-4.rpm=50,100`).
    #[arg(long = "param", value_name = "PATH=VALUES", required = true)]
    pub params: Vec<String>,
    /// Strategy evaluated at every point, the scenario's or a preset
    /// (default: the one a `strategy.`
    /// parameter names, else the scenario's first).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Replications per point (the same seeds at every point).
    #[arg(long, short = 'n', default_value_t = 5)]
    pub replications: u32,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,
    /// Metric that ranks the points (a dotted path of a result).
    #[arg(long, default_value = "latency_ms.p99")]
    pub metric: String,
    /// Whether lower or higher is better (default: by metric).
    #[arg(long, value_enum)]
    pub goal: Option<Goal>,
    /// An assertion every eligible point must pass (repeatable; the
    /// scenario's `assert:` block applies too).
    #[arg(long = "assert", value_name = "EXPR")]
    pub asserts: Vec<String>,
    /// Run only slice I of N (1-based): every N-th point from the I-th.
    /// I may name an environment variable holding a 0-based index instead,
    /// e.g. `--shard JOB_COMPLETION_INDEX/8` in a Kubernetes Indexed Job.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<[usize; 2]>,
    /// Write sweep.json and sweep.csv (and a chart) into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace existing files in --out.
    #[arg(long)]
    pub force: bool,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Ranking direction.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Goal {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// Arguments of `ratesim merge`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim merge shard1/sweep.json shard2/sweep.json shard3/sweep.json shard4/sweep.json
  ratesim merge shard*/sweep.json --out sweep/ --force
  ratesim merge shard*/sweep.json --format markdown")]
pub struct MergeArgs {
    /// Shard files written by `sweep --shard I/N --out DIR` (DIR/sweep.json).
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Write the merged sweep.json and sweep.csv (and a chart) here.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace existing files in --out.
    #[arg(long)]
    pub force: bool,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Parses `I/N` with 1 ≤ I ≤ N, where I may instead be the name of an
/// environment variable holding a 0-based index (what Kubernetes Indexed
/// Jobs and most CI matrices provide), so a cluster's command line stays
/// one line with no shell arithmetic.
pub fn parse_shard(s: &str) -> Result<[usize; 2], String> {
    shard_from(s, |name| std::env::var(name).ok())
}

/// [`parse_shard`] with the environment passed in (so tests need not set
/// process-wide variables).
fn shard_from(s: &str, env: impl Fn(&str) -> Option<String>) -> Result<[usize; 2], String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}`: expected I/N, e.g. 2/8 or JOB_COMPLETION_INDEX/8"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}`: N is not a whole number"))?;
    let i = i.trim();
    let is_name = i.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && i.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let i: usize = if is_name {
        let value = env(i).ok_or_else(|| {
            format!(
                "`{s}`: environment variable {i} is not set (it should hold a 0-based shard index)"
            )
        })?;
        let index: usize = value.trim().parse().map_err(|_| {
            format!("`{s}`: {i}={value:?} is not a whole number (a 0-based shard index)")
        })?;
        if index >= n {
            return Err(format!(
                "`{s}`: {i}={index} but a 0-based index must be below N = {n}"
            ));
        }
        index + 1
    } else {
        i.parse()
            .map_err(|_| format!("`{s}`: I is not a whole number or a variable name"))?
    };
    if n == 0 || i == 0 || i > n {
        return Err(format!("`{s}`: need 1 <= I <= N"));
    }
    Ok([i, n])
}

/// Runs `sweep`; exit 0, or a usage error (exit 2).
/// Runs `sweep`.
pub fn run_sweep(args: &SweepArgs) -> Result<(), CliError> {
    use crate::analysis::sweep::{self, Definition, Param};
    let file = args.run.scenario.display().to_string();
    let text = crate::scenario::read_text(&args.run.scenario, "scenario")?;
    let mut base = Scenario::from_yaml_str(&file, &text)?;
    super::args::warn(&base);
    args.run.apply(&mut base);
    let mut doc: serde_json::Value =
        serde_saphyr::from_str(&text).map_err(|e| CliError::Usage(format!("{file}: {e}")))?;
    let params = args
        .params
        .iter()
        .map(|p| Param::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    crate::analysis::replicate::check_replications(args.replications)?;
    let strategy = match &args.strategy {
        Some(s) => s.clone(),
        None => params
            .iter()
            .find_map(|p| {
                let mut it = p.path.split('.');
                matches!(it.next(), Some("strategy" | "strategies"))
                    .then(|| it.next().map(str::to_string))
                    .flatten()
            })
            .unwrap_or_else(|| base.strategies[0].name.clone()),
    };
    find_strategy(&base, &args.run.scenario, &strategy)?;
    // A preset the file does not list is swept as if it did.
    if !base.strategies.iter().any(|s| s.name == strategy)
        && let Some(list) = doc.get_mut("strategies").and_then(|v| v.as_array_mut())
    {
        list.push(serde_json::Value::String(strategy.clone()));
    }
    let goal = match args.goal {
        Some(Goal::Min) => Direction::LowerIsBetter,
        Some(Goal::Max) => Direction::HigherIsBetter,
        None => {
            crate::analysis::compare::direction_of(&args.metric).unwrap_or(Direction::LowerIsBetter)
        }
    };
    let checks = crate::analysis::checks::assertions(&base, &args.asserts)?;
    let def = Definition {
        scenario: base.name.clone(),
        seed: base.sim.seed,
        strategy,
        params,
        replications: args.replications,
        metric: args.metric.clone(),
        goal,
        assertions: checks.iter().map(|a| a.source().to_string()).collect(),
        duration: args
            .run
            .duration
            .map(|d| humantime::format_duration(std::time::Duration::from_nanos(d.0)).to_string()),
    };
    if def.points() > 1_000_000 {
        return Err(CliError::Usage(format!(
            "{} grid points is too many",
            def.points()
        )));
    }
    let indices = sweep::shard_indices(def.points(), args.shard);
    let mut scenarios = sweep::variants(&doc, &file, &def, &indices)?;
    for s in &mut scenarios {
        args.run.apply(s);
    }
    let bar = progress(indices.len() as u64 * args.replications as u64, "sweep");
    let judge = |v: &serde_json::Value| judge_point(&checks, &def.strategy, v);
    let points = sweep::evaluate(
        &def,
        &scenarios,
        &indices,
        args.jobs,
        &|| bar.inc(1),
        &judge,
    )?;
    bar.finish_and_clear();
    let mut report = SweepReport {
        schema_version: 1,
        ratesim: Some(crate::report::Provenance::current()),
        definition: def,
        shard: args.shard,
        points,
        best: None,
    };
    report.rank();
    emit_sweep(&report, args.out.as_deref(), args.force, args.format)
}

/// Runs `merge`.
pub fn run_merge(args: &MergeArgs) -> Result<(), CliError> {
    let shards = args
        .shards
        .iter()
        .map(|p| read_shard(p))
        .collect::<Result<Vec<_>, _>>()?;
    let report = crate::analysis::sweep::merge(shards)?;
    emit_sweep(&report, args.out.as_deref(), args.force, args.format)
}

/// Reads a `sweep.json` written by `sweep --out`.
fn read_shard(path: &Path) -> Result<SweepReport, OutputError> {
    crate::report::json::read_file(path, "not a ratesim sweep report").map_err(OutputError::Read)
}

fn emit_sweep(
    report: &SweepReport,
    out: Option<&Path>,
    force: bool,
    format: Format,
) -> Result<(), CliError> {
    if let Some(dir) = out {
        let files = prepare_dir(dir, &["sweep.json", "sweep.csv", "sweep.png"], force)?;
        write_text(&files[0], &report.to_json())?;
        write_text(&files[1], &report.to_csv())?;
        eprintln!("wrote {} and {}", files[0].display(), files[1].display());
        // A shard's chart would show a slice; draw it after `merge`.
        if report.shard.is_none()
            && let Some(png) = crate::charts::sweep::render(report)?
        {
            write_bytes(&files[2], &png)?;
            eprintln!("wrote {}", files[2].display());
        }
    }
    print(&match format {
        Format::Json => report.to_json(),
        other => crate::export::render(report, other.into())?,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        match name {
            "JOB_COMPLETION_INDEX" => Some("0".into()),
            "LAST" => Some("7".into()),
            "BAD" => Some("two".into()),
            _ => None,
        }
    }

    #[test]
    fn a_shard_index_is_a_number_or_a_zero_based_variable() {
        assert_eq!(shard_from("3/8", env), Ok([3, 8]));
        assert_eq!(shard_from("JOB_COMPLETION_INDEX/8", env), Ok([1, 8]));
        assert_eq!(shard_from("LAST/8", env), Ok([8, 8]));
        let err = |s: &str| shard_from(s, env).unwrap_err();
        assert!(err("LAST/7").contains("below N = 7"), "{}", err("LAST/7"));
        assert!(err("UNSET/4").contains("UNSET is not set"));
        assert!(err("BAD/4").contains("not a whole number"));
        assert!(err("0/4").contains("1 <= I <= N"));
        assert!(err("5/4").contains("1 <= I <= N"));
        assert!(err("1-4").contains("expected I/N"));
        assert!(err("3x/4").contains("variable name"));
        assert!(err("1/0").contains("1 <= I <= N") || err("1/0").contains("below N"));
    }
}
