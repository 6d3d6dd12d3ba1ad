//! `ratesim compare`.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;

use crate::analysis::checks::{assertions, judge};
use crate::analysis::compare::{DEFAULT_GATE, Runs, runs_of};
use crate::analysis::gate::{CompareReport, build, mean_value};
use crate::analysis::replicate;
use crate::cli::args::parse_fraction;
use crate::cli::output::read_baseline;
use crate::cli::progress::progress;
use crate::engine::SimTime;
use crate::export::compare::{compare_markdown, compare_table};
use crate::scenario::Scenario;

/// Output format of `compare`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompareFormat {
    /// Aligned text.
    Table,
    /// JSON.
    Json,
    /// Markdown for a pull-request summary (`$GITHUB_STEP_SUMMARY`).
    Markdown,
}

/// Arguments of `ratesim compare`.
#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// Baseline strategy (a name in the scenario, or in the --against file).
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Candidate strategy (a name in the scenario).
    #[arg(long, value_name = "NAME")]
    pub candidate: Option<String>,
    /// Compare against a report saved with `simulate --save-baseline FILE`.
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    /// Independent replications per side (the same seeds on both sides).
    #[arg(long, short = 'n', default_value_t = 10)]
    pub replications: u32,
    /// Worker threads (0: one per core). Results do not depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    pub jobs: usize,
    /// Smallest relative change that counts, e.g. `1%` or `0.01`.
    #[arg(long, default_value = "1%", value_parser = parse_fraction)]
    pub tolerance: f64,
    /// Metrics whose significant worsening fails the gate (comma-separated,
    /// or `none`).
    #[arg(
        long,
        value_name = "METRICS",
        default_value = "failed,rate_limited.total,latency_ms.p99,cost_usd"
    )]
    pub fail_on: String,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = CompareFormat::Table)]
    pub format: CompareFormat,
    /// Override the scenario's seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override the scenario's `duration` (arrival window), e.g. `2h`.
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
    pub duration: Option<SimTime>,
    /// An assertion on the candidate, repeatable; `baseline` in it means the
    /// baseline's value (the scenario's `assert:` block applies too).
    #[arg(long = "assert", value_name = "EXPR")]
    pub asserts: Vec<String>,
}

/// Runs `compare`; returns the exit code (0 pass, 1 gate failed) or a usage
/// error (exit 2).
pub fn run_compare(args: &CompareArgs) -> Result<u8, String> {
    let mut scenario = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    if let Some(seed) = args.seed {
        scenario.sim.seed = seed;
    }
    if let Some(d) = args.duration {
        scenario.sim.horizon = d;
    }
    crate::analysis::replicate::check_replications(args.replications)?;
    let gate: Vec<&str> = match args.fail_on.trim() {
        "none" | "" => Vec::new(),
        list => list.split(',').map(str::trim).collect(),
    };
    for g in &gate {
        if !crate::analysis::compare::METRICS
            .iter()
            .any(|(m, _)| m == g)
        {
            let known: Vec<&str> = crate::analysis::compare::METRICS
                .iter()
                .map(|(m, _)| *m)
                .collect();
            return Err(format!(
                "--fail-on: unknown metric `{g}`, expected some of {} (default {})",
                known.join(", "),
                DEFAULT_GATE.join(",")
            ));
        }
    }
    let find = |name: &str| {
        scenario
            .strategies
            .iter()
            .find(|s| s.name == name)
            .cloned()
            .ok_or_else(|| {
                let have: Vec<&str> = scenario
                    .strategies
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                format!(
                    "no strategy `{name}` in {} (have: {})",
                    args.scenario.display(),
                    have.join(", ")
                )
            })
    };

    // Baselines saved earlier (label, runs), or none: the first strategy
    // run is then the baseline.
    let mut saved: Vec<(String, Runs)> = Vec::new();
    let mut specs = Vec::new();
    let mut replications = args.replications;
    match &args.against {
        Some(file) => {
            let base = read_baseline(file)?;
            // Pair replication by replication: the baseline's seeds.
            scenario.sim.seed = base.seed;
            replications = base.replications;
            let candidates: Vec<_> = match &args.candidate {
                Some(c) => vec![find(c)?],
                None => scenario.strategies.clone(),
            };
            for spec in candidates {
                let bname = args.baseline.clone().unwrap_or(spec.name.clone());
                match base.strategies.iter().find(|s| s.strategy == bname) {
                    Some(b) => {
                        saved.push((format!("{bname}@{}", file.display()), b.runs.clone()));
                        specs.push(spec);
                    }
                    None if args.candidate.is_some() || args.baseline.is_some() => {
                        return Err(format!(
                            "{}: no strategy `{bname}` in the baseline",
                            file.display()
                        ));
                    }
                    None => {}
                }
            }
            if specs.is_empty() {
                return Err(format!(
                    "no strategy of {} is in {}",
                    args.scenario.display(),
                    file.display()
                ));
            }
        }
        None => {
            let (Some(b), Some(c)) = (&args.baseline, &args.candidate) else {
                return Err("compare needs --baseline A --candidate B, or --against FILE".into());
            };
            specs = vec![find(b)?, find(c)?];
        }
    }

    // Every side that runs now runs all replications, in parallel.
    let bar = progress(specs.len() as u64 * replications as u64, "replications");
    let results = replicate::run(&scenario, &specs, replications, args.jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();

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
        c.failed_assertions = judge(&checks, &c.candidate, &cv, Some(&bv))?;
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
            c.failed_assertions = judge(&checks, &c.candidate, &cv, Some(&mean_value(base)))?;
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
    let text = match args.format {
        CompareFormat::Json => crate::report::json::pretty(&report),
        CompareFormat::Table => compare_table(&report),
        CompareFormat::Markdown => compare_markdown(&report),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    let failed = report
        .comparisons
        .iter()
        .any(|c| !c.regressions.is_empty() || !c.failed_assertions.is_empty());
    Ok(if failed { 1 } else { 0 })
}
