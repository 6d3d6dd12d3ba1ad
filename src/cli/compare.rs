//! `ratesim compare`.

use std::path::PathBuf;

use super::args::{Format, ScenarioArgs, find_strategy, parse_fraction};
use super::output::{prepare_dir, read_baseline, refuse_overwrite, write_text};
use super::progress::progress;
use super::{CliError, print};
use crate::analysis::checks::{assertions, judge_all};
use crate::analysis::compare::mean_value;
use crate::analysis::compare::{DEFAULT_GATE, METRICS, Runs, direction_of, runs_of};
use crate::analysis::gate::{CompareReport, build};
use crate::analysis::replicate;
use crate::export::compare::compare_markdown;

/// Arguments of `ratesim compare`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim compare scenarios/ci-gate.yaml --baseline current --candidate proposed
  ratesim compare scenarios/ci-gate.yaml --baseline current --candidate proposed -n 10 --tolerance 2% --format markdown
  ratesim compare scenarios/tier1.yaml --against main.json     # main.json from simulate -n 10 --save-baseline")]
pub struct CompareArgs {
    #[command(flatten)]
    pub run: ScenarioArgs,
    /// Baseline strategy (a strategy of the scenario or any preset, or a
    /// name in the --against file).
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Candidate strategy (a strategy of the scenario or any preset).
    #[arg(long, value_name = "NAME")]
    pub candidate: Option<String>,
    /// Compare against a report saved with `simulate --save-baseline FILE`.
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    /// Independent replications per side (the same seeds on both sides;
    /// default 10). With --against, the baseline file's count is used.
    #[arg(long, short = 'n')]
    pub replications: Option<u32>,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,
    /// Smallest relative change that counts, e.g. `1%` or `0.01`.
    #[arg(long, default_value = "1%", value_parser = parse_fraction)]
    pub tolerance: f64,
    /// Metrics whose significant worsening fails the gate (comma-separated
    /// metric paths, e.g. `by_class.interactive.latency_ms.p99`, or `none`).
    #[arg(
        long,
        value_name = "METRICS",
        default_value = "failed,rate_limited.total,latency_ms.p99,cost_usd"
    )]
    pub fail_on: String,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Also write compare.json and compare.md into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace existing files in --out.
    #[arg(long)]
    pub force: bool,
    /// An assertion on the candidate, repeatable; `baseline` in it means the
    /// baseline's value (the scenario's `assert:` block applies too).
    #[arg(long = "assert", value_name = "EXPR")]
    pub asserts: Vec<String>,
}

/// Replications per side when `-n` is not given.
const DEFAULT_REPLICATIONS: u32 = 10;

/// Runs `compare`: exit 0 when the gate passes, 1 when it fails.
pub fn run(args: &CompareArgs) -> Result<(), CliError> {
    let mut scenario = args.run.load()?;
    let file = &args.run.scenario;
    let mut replications = args.replications.unwrap_or(DEFAULT_REPLICATIONS);
    crate::analysis::replicate::check_replications(replications)?;
    let gate: Vec<&str> = match args.fail_on.trim() {
        "none" | "" => Vec::new(),
        list => list.split(',').map(str::trim).collect(),
    };
    for g in &gate {
        if direction_of(g).is_none() {
            let known: Vec<&str> = METRICS.iter().map(|(m, _)| *m).collect();
            return Err(CliError::Usage(format!(
                "--fail-on: unknown metric `{g}`, expected some of {}, or a path ending in one \
                 (by_class.NAME.latency_ms.p99) (default {}){}",
                known.join(", "),
                DEFAULT_GATE.join(","),
                crate::text::suggest::hint(g, known.iter().copied())
            )));
        }
    }
    let names = ["compare.json", "compare.md"];
    if let Some(dir) = &args.out {
        let paths: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
        let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
        refuse_overwrite(&refs, args.force)?;
    }

    // Baselines saved earlier (label, runs), or none: the first strategy
    // run is then the baseline.
    let mut saved: Vec<(String, Runs)> = Vec::new();
    let mut specs = Vec::new();
    match &args.against {
        Some(against) => {
            let base = read_baseline(against)?;
            // Pair replication by replication: the baseline's seeds and count.
            scenario.sim.seed = base.seed;
            if args.run.seed.is_some_and(|s| s != base.seed) {
                eprintln!(
                    "note: --seed is ignored: runs are paired with the {} seeds {} was saved with (seed {})",
                    base.replications,
                    against.display(),
                    base.seed
                );
            }
            if let Some(n) = args.replications.filter(|&n| n != base.replications) {
                eprintln!(
                    "note: comparing {} replications, as many as {} holds, not -n {n}",
                    base.replications,
                    against.display()
                );
            }
            replications = base.replications;
            let candidates: Vec<_> = match &args.candidate {
                Some(c) => vec![find_strategy(&scenario, file, c)?],
                None => scenario.strategies.clone(),
            };
            for spec in candidates {
                let bname = args.baseline.clone().unwrap_or(spec.name.clone());
                match base.strategies.iter().find(|s| s.strategy == bname) {
                    Some(b) => {
                        saved.push((format!("{bname}@{}", against.display()), b.runs.clone()));
                        specs.push(spec);
                    }
                    None if args.candidate.is_some() || args.baseline.is_some() => {
                        let have: Vec<&str> = base
                            .strategies
                            .iter()
                            .map(|s| s.strategy.as_str())
                            .collect();
                        return Err(CliError::Usage(format!(
                            "{}: no strategy `{bname}` in the baseline (it has: {}){}",
                            against.display(),
                            have.join(", "),
                            crate::text::suggest::hint(&bname, have.iter().copied())
                        )));
                    }
                    None => {}
                }
            }
            if specs.is_empty() {
                return Err(CliError::Usage(format!(
                    "no strategy of {} is in {}",
                    file.display(),
                    against.display()
                )));
            }
        }
        None => {
            let (Some(b), Some(c)) = (&args.baseline, &args.candidate) else {
                return Err(CliError::Usage(
                    "compare needs --baseline A --candidate B, or --against FILE".into(),
                ));
            };
            specs = vec![
                find_strategy(&scenario, file, b)?,
                find_strategy(&scenario, file, c)?,
            ];
        }
    }

    // Every side that runs now runs all replications, in parallel.
    let bar = progress(specs.len() as u64 * replications as u64, "replications");
    let results = replicate::run(&scenario, &specs, replications, args.jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();

    // A gated path must name a metric the results have (the same rule as
    // --assert); check it on the first run's JSON for a located message.
    if let Some(first) = results.first().and_then(|r| r.runs.first()) {
        let v = crate::report::json::value(first);
        for g in gate
            .iter()
            .filter(|g| !METRICS.iter().any(|(m, _)| m == *g))
        {
            crate::path::get(&v, g).map_err(|e| CliError::Usage(format!("--fail-on {g}: {e}")))?;
        }
    }
    let checks = assertions(&scenario, &args.asserts)?;
    let mut comparisons = Vec::new();
    if saved.is_empty() {
        let base = runs_of(&results[0].runs);
        let cand = runs_of(&results[1].runs);
        let mut c = build(
            results[0].strategy.clone(),
            results[1].strategy.clone(),
            &base,
            &cand,
            args.tolerance,
            &gate,
        );
        let bv = replicate::summary_value(&results[0]);
        let cv = replicate::summary_value(&results[1]);
        let j = judge_all(&checks, &c.candidate, &cv, Some(&bv))?;
        (c.held_assertions, c.failed_assertions) = (j.held, j.failed);
        comparisons.push(c);
    } else {
        for ((label, base), r) in saved.iter().zip(&results) {
            let cand = runs_of(&r.runs);
            let mut c = build(
                label.clone(),
                r.strategy.clone(),
                base,
                &cand,
                args.tolerance,
                &gate,
            );
            let cv = replicate::summary_value(r);
            let j = judge_all(&checks, &c.candidate, &cv, Some(&mean_value(base)))?;
            (c.held_assertions, c.failed_assertions) = (j.held, j.failed);
            comparisons.push(c);
        }
    }
    let report = CompareReport {
        schema_version: 1,
        scenario: scenario.name.clone(),
        seed: scenario.sim.seed,
        replications,
        tolerance: args.tolerance,
        comparisons,
    };
    let json = crate::report::json::pretty(&report);
    if let Some(dir) = &args.out {
        let files = prepare_dir(dir, &names, args.force)?;
        write_text(&files[0], &json)?;
        write_text(&files[1], &compare_markdown(&report))?;
        eprintln!("wrote {} and {}", files[0].display(), files[1].display());
    }
    print(&match args.format {
        Format::Json => json,
        other => crate::export::render(&report, other.into())?,
    });
    // The verdict is decided once, in analysis; every format prints it.
    if report.exit_code() != 0 {
        return Err(CliError::Failed("the gate failed (see above)"));
    }
    Ok(())
}
