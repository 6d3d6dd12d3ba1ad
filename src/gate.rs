//! `ratesim compare`: a candidate strategy against a baseline, metric by
//! metric, with paired 95 % intervals and a verdict; exit 1 when a gated
//! metric gets significantly worse or an assertion fails.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};

use crate::assertions::Assertion;
use crate::compare::Direction;
use crate::compare::{
    BASELINE_KIND, BaselineFile, DEFAULT_GATE, MetricDiff, Runs, Verdict, compare, runs_of,
};
use crate::engine::SimTime;
use crate::replicate;
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

/// Parses `5%` or `0.05`.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.trim().strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (s.trim(), 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a number or percentage"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("`{s}` must be >= 0"));
    }
    Ok(v * scale)
}

/// A bar on stderr for long runs; indicatif draws nothing when stderr is not
/// a terminal.
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    // A template error would only lose the bar's layout, never a result.
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed_precise}, eta {eta}]")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}

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
    crate::replicate::check_replications(args.replications)?;
    let gate: Vec<&str> = match args.fail_on.trim() {
        "none" | "" => Vec::new(),
        list => list.split(',').map(str::trim).collect(),
    };
    for g in &gate {
        if !crate::compare::METRICS.iter().any(|(m, _)| m == g) {
            let known: Vec<&str> = crate::compare::METRICS.iter().map(|(m, _)| *m).collect();
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

fn build(
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
fn mean_value(runs: &Runs) -> serde_json::Value {
    let mut root = serde_json::Value::Object(Default::default());
    let Some(first) = runs.first() else {
        return root;
    };
    for path in first.keys() {
        let xs: Vec<f64> = runs.iter().filter_map(|r| r.get(path).copied()).collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let parts: Vec<&str> = path.split('.').collect();
        crate::sweep::set_path_public(&mut root, &parts, serde_json::json!(mean));
    }
    root
}

fn num(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

fn signed(x: f64) -> String {
    let s = num(x);
    if x > 0.0 { format!("+{s}") } else { s }
}

fn cells(m: &MetricDiff) -> [String; 5] {
    let rel = m.relative();
    let rel = if rel.is_finite() {
        format!(" ({:+.1}%)", rel * 100.0)
    } else {
        String::new()
    };
    [
        m.metric.clone(),
        format!("{} ± {}", num(m.baseline.mean), num(m.baseline.half_width)),
        format!(
            "{} ± {}",
            num(m.candidate.mean),
            num(m.candidate.half_width)
        ),
        format!(
            "{} [{}, {}]{rel}",
            signed(m.difference.mean),
            signed(m.difference.lo()),
            signed(m.difference.hi())
        ),
        m.verdict.words().to_string(),
    ]
}

const HEADER: [&str; 5] = [
    "metric",
    "baseline",
    "candidate",
    "difference (95% CI)",
    "verdict",
];

fn compare_table(r: &CompareReport) -> String {
    let mut s = String::new();
    for c in &r.comparisons {
        s.push_str(&format!(
            "{}: {} (baseline) vs {} (candidate), {} paired replications, seed {}\n\n",
            r.scenario, c.baseline, c.candidate, r.replications, r.seed
        ));
        let rows: Vec<[String; 5]> = c.metrics.iter().map(cells).collect();
        let widths: Vec<usize> = (0..5)
            .map(|i| {
                rows.iter()
                    .map(|row| row[i].chars().count())
                    .chain([HEADER[i].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cols: [&str; 5]| {
            let mut l = String::new();
            for (i, c) in cols.iter().enumerate() {
                let pad = widths[i] - c.chars().count();
                if i == 0 || i == 4 {
                    l.push_str(c);
                    l.push_str(&" ".repeat(pad));
                } else {
                    l.push_str(&" ".repeat(pad));
                    l.push_str(c);
                }
                l.push_str("  ");
            }
            l.trim_end().to_string() + "\n"
        };
        s.push_str(&line(HEADER));
        for row in &rows {
            s.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
        }
        s.push('\n');
        s.push_str(&gate_line(c));
        s.push('\n');
    }
    s
}

fn gate_line(c: &Comparison) -> String {
    let mut s = String::new();
    for f in &c.failed_assertions {
        s.push_str(&format!("assertion failed: {f}\n"));
    }
    if c.regressions.is_empty() && c.failed_assertions.is_empty() {
        s.push_str(&format!("gate: PASS ({} vs {})\n", c.candidate, c.baseline));
    } else {
        let mut why = Vec::new();
        if !c.regressions.is_empty() {
            why.push(format!("significantly worse {}", c.regressions.join(", ")));
        }
        if !c.failed_assertions.is_empty() {
            why.push(format!("{} assertion(s) failed", c.failed_assertions.len()));
        }
        s.push_str(&format!(
            "gate: FAIL ({} vs {}): {}\n",
            c.candidate,
            c.baseline,
            why.join("; ")
        ));
    }
    s
}

fn compare_markdown(r: &CompareReport) -> String {
    let mut s = String::new();
    for c in &r.comparisons {
        let verdict = if c.regressions.is_empty() {
            "PASS"
        } else {
            "FAIL"
        };
        s.push_str(&format!(
            "### ratesim gate: {verdict} — `{}` vs `{}`\n\n",
            c.candidate, c.baseline
        ));
        s.push_str(&format!(
            "Scenario `{}`, {} paired replications (common random numbers), seed {}, tolerance {}%.\n\n",
            r.scenario,
            r.replications,
            r.seed,
            r.tolerance * 100.0
        ));
        s.push_str("| metric | baseline | candidate | difference (95% CI) | verdict |\n|---|---:|---:|---:|---|\n");
        for m in &c.metrics {
            let [a, b, cc, d, e] = cells(m);
            let e = if m.verdict == Verdict::Worse && c.regressions.contains(&m.metric) {
                format!("**{e}**")
            } else {
                e
            };
            s.push_str(&format!("| `{a}` | {b} | {cc} | {d} | {e} |\n"));
        }
        s.push('\n');
        for f in &c.failed_assertions {
            s.push_str(&format!("- assertion failed: `{f}`\n"));
        }
        if !c.failed_assertions.is_empty() {
            s.push('\n');
        }
        if !c.regressions.is_empty() {
            s.push_str(&format!(
                "Significantly worse: {}.\n\n",
                c.regressions
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    s
}

/// Arguments of `ratesim sweep`.
#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Scenario file (YAML).
    pub scenario: PathBuf,
    /// A swept parameter, repeatable: `PATH=a..b:step` or `PATH=v1,v2,...`
    /// (e.g. `strategy.token_bucket.fraction=0.5..1.0:0.1`,
    /// `streams.chat.rate_per_min=20,40,80`, `pools.sonnet-4.rpm=50,100`).
    #[arg(long = "param", value_name = "PATH=VALUES", required = true)]
    pub params: Vec<String>,
    /// Strategy evaluated at every point (default: the one a `strategy.`
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
    /// Override the scenario's `duration` (arrival window) at every point,
    /// e.g. `2h`.
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
    pub duration: Option<SimTime>,
    /// Run only slice I of N (1-based): every N-th point from the I-th.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<[usize; 2]>,
    /// Write sweep.json and sweep.csv (and a chart) into this directory.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace existing files in --out.
    #[arg(long)]
    pub force: bool,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = SweepFormat::Table)]
    pub format: SweepFormat,
}

/// Ranking direction.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Goal {
    /// Lower is better.
    Min,
    /// Higher is better.
    Max,
}

/// Output format of `sweep` and `merge`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SweepFormat {
    /// Aligned text.
    Table,
    /// The sweep report as JSON.
    Json,
    /// One row per point.
    Csv,
}

/// Arguments of `ratesim merge`.
#[derive(Debug, clap::Args)]
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
    #[arg(long, short, value_enum, default_value_t = SweepFormat::Table)]
    pub format: SweepFormat,
}

/// Parses `I/N` with 1 ≤ I ≤ N.
pub fn parse_shard(s: &str) -> Result<[usize; 2], String> {
    let (i, n) = s
        .split_once('/')
        .ok_or_else(|| format!("`{s}`: expected I/N, e.g. 2/8"))?;
    let (i, n): (usize, usize) = (
        i.trim()
            .parse()
            .map_err(|_| format!("`{s}`: I is not a whole number"))?,
        n.trim()
            .parse()
            .map_err(|_| format!("`{s}`: N is not a whole number"))?,
    );
    if n == 0 || i == 0 || i > n {
        return Err(format!("`{s}`: need 1 <= I <= N"));
    }
    Ok([i, n])
}

/// Runs `sweep`; exit 0, or a usage error (exit 2).
pub fn run_sweep(args: &SweepArgs) -> Result<u8, String> {
    use crate::sweep::{self, Definition, Param, SweepReport};
    let file = args.scenario.display().to_string();
    let text = crate::scenario::read_text(&args.scenario, "scenario").map_err(|e| e.to_string())?;
    let base = Scenario::from_yaml_str(&file, &text).map_err(|e| e.to_string())?;
    let doc: serde_json::Value =
        serde_saphyr::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    let params = args
        .params
        .iter()
        .map(|p| Param::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    crate::replicate::check_replications(args.replications)?;
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
    if !base.strategies.iter().any(|s| s.name == strategy) {
        let have: Vec<&str> = base.strategies.iter().map(|s| s.name.as_str()).collect();
        return Err(format!(
            "no strategy `{strategy}` in {file} (have: {})",
            have.join(", ")
        ));
    }
    let goal = match args.goal {
        Some(Goal::Min) => Direction::LowerIsBetter,
        Some(Goal::Max) => Direction::HigherIsBetter,
        None => crate::compare::METRICS
            .iter()
            .find(|(m, _)| *m == args.metric)
            .map_or(Direction::LowerIsBetter, |(_, d)| *d),
    };
    let checks = crate::gate::assertions(&base, &args.asserts)?;
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
            .duration
            .map(|d| humantime::format_duration(std::time::Duration::from_nanos(d.0)).to_string()),
    };
    if def.points() > 1_000_000 {
        return Err(format!("{} grid points is too many", def.points()));
    }
    let indices = sweep::shard_indices(def.points(), args.shard);
    let mut scenarios = sweep::variants(&doc, &file, &def, &indices)?;
    if let Some(d) = args.duration {
        for s in &mut scenarios {
            s.sim.horizon = d;
        }
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
        definition: def,
        shard: args.shard,
        points,
        best: None,
    };
    report.rank();
    emit_sweep(&report, args.out.as_deref(), args.force, args.format)?;
    Ok(0)
}

/// Runs `merge`.
pub fn run_merge(args: &MergeArgs) -> Result<u8, String> {
    let shards = args
        .shards
        .iter()
        .map(|p| crate::sweep::read(p))
        .collect::<Result<Vec<_>, _>>()?;
    let report = crate::sweep::merge(shards)?;
    emit_sweep(&report, args.out.as_deref(), args.force, args.format)?;
    Ok(0)
}

fn emit_sweep(
    report: &crate::sweep::SweepReport,
    out: Option<&std::path::Path>,
    force: bool,
    format: SweepFormat,
) -> Result<(), String> {
    if let Some(dir) = out {
        let (json, csv) = crate::sweep::out_files(dir);
        let png = dir.join("sweep.png");
        refuse_overwrite(&[&json, &csv, &png], force)?;
        create_dir(dir)?;
        write_text(&json, &report.to_json())?;
        write_text(&csv, &report.to_csv())?;
        eprintln!("wrote {} and {}", json.display(), csv.display());
        // A shard's chart would show a slice; draw it after `merge`.
        if report.shard.is_none() && crate::charts::sweep::render(&png, report)? {
            eprintln!("wrote {}", png.display());
        }
    }
    let text = match format {
        SweepFormat::Json => report.to_json(),
        SweepFormat::Csv => report.to_csv(),
        SweepFormat::Table => sweep_table(report),
    };
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
    Ok(())
}

fn sweep_table(r: &crate::sweep::SweepReport) -> String {
    let d = &r.definition;
    let mut s = format!(
        "sweep of {} for strategy {}: {} points × {} replications{}, ranked by {} ({})\n\n",
        d.scenario,
        d.strategy,
        d.points(),
        d.replications,
        r.shard.map_or(String::new(), |[i, n]| format!(
            " (shard {i}/{n}: {} points)",
            r.points.len()
        )),
        d.metric,
        match d.goal {
            Direction::LowerIsBetter => "lower is better",
            Direction::HigherIsBetter => "higher is better",
        }
    );
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut head: Vec<String> = d.params.iter().map(|p| p.path.clone()).collect();
    head.push(format!("{} (95% CI)", d.metric));
    head.push("assertions".into());
    rows.push(head);
    for p in &r.points {
        let mut row: Vec<String> = d
            .params
            .iter()
            .map(|q| match &p.params[&q.path] {
                serde_json::Value::String(x) => x.clone(),
                v => v.to_string(),
            })
            .collect();
        row.push(format!(
            "{} ± {}",
            num(p.metric.mean),
            num(p.metric.half_width)
        ));
        row.push(if p.passed {
            if r.best == Some(p.index) {
                "pass  ← best".into()
            } else {
                "pass".into()
            }
        } else {
            format!("fail: {}", p.failures.join("; "))
        });
        rows.push(row);
    }
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let mut l = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i + 1 == cols {
                l.push_str(c);
            } else {
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
                l.push_str("  ");
            }
        }
        s.push_str(l.trim_end());
        s.push('\n');
    }
    s.push('\n');
    match r.best.and_then(|b| r.points.iter().find(|p| p.index == b)) {
        Some(p) => {
            let vals: Vec<String> = p.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
            s.push_str(&format!(
                "best: {} ({} = {} ± {})\n",
                vals.join(" "),
                d.metric,
                num(p.metric.mean),
                num(p.metric.half_width)
            ));
        }
        None if r.shard.is_some() => s.push_str("best: decided after `ratesim merge`\n"),
        None => s.push_str("best: no point satisfies the assertions\n"),
    }
    s
}

/// The scenario's `assert:` block plus `--assert` flags, parsed. A malformed
/// flag is a usage error naming its column.
pub fn assertions(scenario: &Scenario, flags: &[String]) -> Result<Vec<Assertion>, String> {
    let mut out = scenario.assertions.clone();
    for f in flags {
        let a = Assertion::parse(f).map_err(|e| format!("--assert '{f}': {e}\n{}", e.render(f)))?;
        a.check_strategy(scenario.strategies.iter().map(|s| s.name.as_str()))
            .map_err(|e| format!("--assert '{f}': {e}"))?;
        out.push(a);
    }
    Ok(out)
}

/// Evaluates assertions on one strategy's result; returns the failures as
/// messages. An assertion that cannot be evaluated (unknown metric) is an
/// error.
pub fn judge_point(
    checks: &[Assertion],
    strategy: &str,
    result: &serde_json::Value,
) -> Result<Vec<String>, String> {
    judge(checks, strategy, result, None)
}

/// Like [`judge_point`], with an optional baseline result.
pub fn judge(
    checks: &[Assertion],
    strategy: &str,
    result: &serde_json::Value,
    baseline: Option<&serde_json::Value>,
) -> Result<Vec<String>, String> {
    let mut failed = Vec::new();
    for a in checks.iter().filter(|a| a.applies_to(strategy)) {
        let c = a.evaluate(result, baseline).map_err(|e| e.to_string())?;
        if !c.passed {
            failed.push(c.message);
        }
    }
    Ok(failed)
}

/// One assertion's verdict on one strategy.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AssertionVerdict {
    /// Strategy.
    pub strategy: String,
    /// The assertion as written.
    pub assertion: String,
    /// Whether it held.
    pub passed: bool,
    /// What was compared, and by how much it missed or held.
    pub message: String,
}

/// Reads a baseline saved with `simulate --save-baseline`.
pub fn read_baseline(path: &std::path::Path) -> Result<BaselineFile, String> {
    let b: BaselineFile = crate::report::json::read_file(path, "not a ratesim baseline")?;
    if b.kind != BASELINE_KIND {
        return Err(format!("{}: not a ratesim baseline file", path.display()));
    }
    // Compare pairs run k of each side: a baseline must hold exactly
    // `replications` runs per strategy, or the pairing (and the gate) is
    // silently wrong.
    if b.replications == 0 {
        return Err(format!(
            "{}: `replications` is 0; a baseline holds at least one run per strategy",
            path.display()
        ));
    }
    if let Some(s) = b
        .strategies
        .iter()
        .find(|s| s.runs.len() != b.replications as usize)
    {
        return Err(format!(
            "{}: strategy `{}` has {} run(s) but `replications` is {}",
            path.display(),
            s.strategy,
            s.runs.len(),
            b.replications
        ));
    }
    Ok(b)
}

/// Writes every replication's metrics for a later `compare --against`.
pub fn save_baseline(
    path: &std::path::Path,
    scenario: &Scenario,
    replications: u32,
    per_strategy: &[crate::report::StrategyResult],
) -> Result<(), String> {
    let mut strategies: Vec<crate::compare::BaselineStrategy> = Vec::new();
    for chunk in per_strategy.chunks(replications as usize) {
        strategies.push(crate::compare::BaselineStrategy {
            strategy: chunk[0].strategy.clone(),
            runs: runs_of(chunk),
        });
    }
    let file = BaselineFile {
        schema_version: 1,
        kind: BASELINE_KIND.to_string(),
        scenario: scenario.name.clone(),
        seed: scenario.sim.seed,
        replications,
        strategies,
    };
    write_text(path, &crate::report::json::pretty(&file))?;
    eprintln!("wrote baseline {}", path.display());
    Ok(())
}

fn check_values(
    results: &[(String, serde_json::Value)],
    checks: &[Assertion],
    against: Option<&BaselineFile>,
) -> Result<Vec<AssertionVerdict>, String> {
    let mut out = Vec::new();
    for (name, v) in results {
        let base = against
            .and_then(|b| b.strategies.iter().find(|s| &s.strategy == name))
            .map(|s| mean_value(&s.runs));
        for a in checks.iter().filter(|a| a.applies_to(name)) {
            if a.uses_baseline() && base.is_none() {
                return Err(format!(
                    "assertion `{}` uses `baseline`: pass --against FILE holding strategy `{name}`",
                    a.source()
                ));
            }
            let c = a.evaluate(v, base.as_ref()).map_err(|e| e.to_string())?;
            out.push(AssertionVerdict {
                strategy: name.clone(),
                assertion: a.source().to_string(),
                passed: c.passed,
                message: c.message,
            });
        }
    }
    Ok(out)
}

/// Evaluates assertions on single-run results.
pub fn check_results(
    results: &[crate::report::StrategyResult],
    checks: &[Assertion],
    against: Option<&BaselineFile>,
) -> Result<Vec<AssertionVerdict>, String> {
    let values: Vec<(String, serde_json::Value)> = results
        .iter()
        .map(|r| (r.strategy.clone(), crate::report::json::value(r)))
        .collect();
    check_values(&values, checks, against)
}

/// A report as pretty JSON, with an `assertions` array when there are any.
pub fn json_with_assertions<T: serde::Serialize + ?Sized>(
    report: &T,
    verdicts: &[AssertionVerdict],
) -> String {
    use crate::report::json;
    if verdicts.is_empty() {
        return json::pretty(report);
    }
    let mut v = json::value(report);
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("assertions".into(), json::value(verdicts));
    }
    json::pretty(&v)
}

/// The verdicts as text (or Markdown), empty when there are none.
pub fn assertion_text(verdicts: &[AssertionVerdict], markdown: bool) -> String {
    if verdicts.is_empty() {
        return String::new();
    }
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    let mut s = if markdown {
        format!(
            "\n## Assertions: {}\n\n",
            if failed == 0 {
                "all passed".to_string()
            } else {
                format!("{failed} failed")
            }
        )
    } else {
        format!(
            "\nassertions: {} passed, {failed} failed\n",
            verdicts.len() - failed
        )
    };
    for v in verdicts {
        let mark = if v.passed { "pass" } else { "FAIL" };
        if markdown {
            s.push_str(&format!("- **{mark}** `{}` — {}\n", v.strategy, v.message));
        } else {
            s.push_str(&format!("  {mark}  {}: {}\n", v.strategy, v.message));
        }
    }
    s
}

/// How `simulate --replications N` writes its output.
#[derive(Debug, Clone)]
pub struct ReplicatedOutput {
    /// JSON on stdout.
    pub json: bool,
    /// Markdown on stdout.
    pub markdown: bool,
    /// Also write report.json and report.md here.
    pub out: Option<PathBuf>,
    /// Replace existing files.
    pub force: bool,
    /// Save every replication for `compare --against`.
    pub save_baseline: Option<PathBuf>,
    /// Print timing to stderr.
    pub stats: bool,
}

/// `simulate --replications N`: every strategy N times in parallel; the
/// report's numbers are means, with `ci95` intervals per metric.
pub fn simulate_replicated(
    scenario: &Scenario,
    n: u32,
    jobs: usize,
    checks: &[Assertion],
    against: Option<&BaselineFile>,
    opts: &ReplicatedOutput,
) -> Result<u8, String> {
    let started = std::time::Instant::now();
    let bar = progress(scenario.strategies.len() as u64 * n as u64, "replications");
    let reps = replicate::run(scenario, &scenario.strategies, n, jobs, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let firsts: Vec<_> = reps.iter().map(|r| r.runs[0].clone()).collect();
    let report = crate::report::Report::new(scenario, firsts);
    let mut v = crate::report::json::value(&report);
    let summaries: Vec<(String, serde_json::Value)> = reps
        .iter()
        .map(|r| (r.strategy.clone(), replicate::summary_value(r)))
        .collect();
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("replications".into(), serde_json::Value::from(n));
        m.insert(
            "results".into(),
            serde_json::Value::Array(summaries.iter().map(|(_, s)| s.clone()).collect()),
        );
    }
    let verdicts = check_values(&summaries, checks, against)?;
    let json = json_with_assertions(&v, &verdicts);
    let table = replicated_table(&report, &reps, n);
    let md = format!(
        "# ratesim: {} ({n} replications)\n\n```text\n{table}```\n",
        report.scenario
    );
    if let Some(dir) = &opts.out {
        let (j, m) = (dir.join("report.json"), dir.join("report.md"));
        refuse_overwrite(&[&j, &m], opts.force)?;
        create_dir(dir)?;
        write_text(&j, &json)?;
        write_text(&m, &md)?;
        eprintln!("wrote {} and {}", j.display(), m.display());
    }
    let mut text = if opts.json {
        json
    } else if opts.markdown {
        md
    } else {
        table
    };
    if !opts.json {
        text.push_str(&assertion_text(&verdicts, opts.markdown));
    }
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
    if let Some(p) = &opts.save_baseline {
        let all: Vec<_> = reps.iter().flat_map(|r| r.runs.iter().cloned()).collect();
        save_baseline(p, scenario, n, &all)?;
    }
    if opts.stats {
        let secs = started.elapsed().as_secs_f64().max(1e-9);
        let events: u64 = reps.iter().flat_map(|r| &r.runs).map(|r| r.events).sum();
        let requests: u64 = reps
            .iter()
            .flat_map(|r| &r.runs)
            .map(|r| r.total.requests)
            .sum();
        eprintln!(
            "stats: wall {secs:.3} s, {n} replications, {events} events ({:.0}/s), {requests} logical requests ({:.0}/s)",
            events as f64 / secs,
            requests as f64 / secs
        );
    }
    Ok(if verdicts.iter().any(|v| !v.passed) {
        1
    } else {
        0
    })
}

/// Rows of the replicated table: label and metric path.
const REPLICATED_ROWS: &[(&str, &str)] = &[
    ("requests", "requests"),
    ("succeeded", "succeeded"),
    ("failed", "failed"),
    ("attempts", "attempts"),
    ("429 total", "rate_limited.total"),
    ("429 rpm", "rate_limited.rpm"),
    ("429 itpm", "rate_limited.itpm"),
    ("429 otpm", "rate_limited.otpm"),
    ("529 overloaded", "overloaded"),
    ("latency p50 ms", "latency_ms.p50"),
    ("latency p90 ms", "latency_ms.p90"),
    ("latency p99 ms", "latency_ms.p99"),
    ("latency p99.9 ms", "latency_ms.p999"),
    ("queue wait ms", "queue_wait_ms"),
    ("goodput /min", "goodput_per_min"),
    ("cost USD", "cost_usd"),
];

fn replicated_table(
    report: &crate::report::Report,
    reps: &[replicate::Replicated],
    n: u32,
) -> String {
    let stats: Vec<_> = reps.iter().map(|r| replicate::stats(&r.runs)).collect();
    let mut rows: Vec<Vec<String>> = vec![
        std::iter::once(String::new())
            .chain(reps.iter().map(|r| r.strategy.clone()))
            .collect(),
    ];
    for (label, path) in REPLICATED_ROWS {
        let mut row = vec![label.to_string()];
        for st in &stats {
            row.push(st.get(*path).map_or("-".into(), |s| {
                format!("{} ± {}", num(s.mean), num(s.half_width))
            }));
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut s = format!(
        "{} — {} limiter, {}, {} s simulated, {n} replications from seed {} (mean ± 95% CI)\n\n",
        report.scenario, report.limiter.algorithm, report.tier, report.duration_s, report.seed
    );
    for row in &rows {
        let mut l = String::new();
        for (i, c) in row.iter().enumerate() {
            let pad = widths[i] - c.chars().count();
            if i == 0 {
                l.push_str(c);
                l.push_str(&" ".repeat(pad));
            } else {
                l.push_str("  ");
                l.push_str(&" ".repeat(pad));
                l.push_str(c);
            }
        }
        s.push_str(l.trim_end());
        s.push('\n');
    }
    s
}

/// Refuses to replace any of `files` unless `force`: nothing the user has is
/// overwritten without asking.
pub fn refuse_overwrite(files: &[&std::path::Path], force: bool) -> Result<(), String> {
    if force {
        return Ok(());
    }
    match files.iter().find(|f| f.exists()) {
        Some(f) => Err(format!(
            "{} already exists; pass --force to replace it",
            f.display()
        )),
        None => Ok(()),
    }
}

/// Creates an output directory (and its parents).
pub fn create_dir(dir: &std::path::Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Writes a text file, naming it in the error.
pub fn write_text(path: &std::path::Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
