//! `ratesim compare`: a candidate strategy against a baseline, metric by
//! metric, with paired 95 % intervals and a verdict; exit 1 when a gated
//! metric gets significantly worse or an assertion fails.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressStyle};

use crate::compare::{
    BASELINE_KIND, BaselineFile, DEFAULT_GATE, MetricDiff, Runs, Verdict, compare, runs_of,
};
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
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed_precise}, eta {eta}]")
            .expect("valid template"),
    );
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
    if args.replications == 0 {
        return Err("--replications must be at least 1".into());
    }
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
            let text = std::fs::read_to_string(file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let base: BaselineFile = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a ratesim baseline ({e})", file.display()))?;
            if base.kind != BASELINE_KIND {
                return Err(format!("{}: not a ratesim baseline file", file.display()));
            }
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

    let comparisons = if saved.is_empty() {
        let base = runs_of(&results[0].runs);
        let cand = runs_of(&results[1].runs);
        vec![build(
            results[0].strategy.clone(),
            results[1].strategy.clone(),
            &base,
            &cand,
            args.tolerance,
            &gate,
        )]
    } else {
        saved
            .iter()
            .zip(&results)
            .map(|((label, base), r)| {
                build(
                    label.clone(),
                    r.strategy.clone(),
                    base,
                    &runs_of(&r.runs),
                    args.tolerance,
                    &gate,
                )
            })
            .collect()
    };
    let report = CompareReport {
        schema_version: 1,
        scenario: scenario.name.clone(),
        seed: scenario.sim.seed,
        replications,
        tolerance: args.tolerance,
        comparisons,
    };
    let text = match args.format {
        CompareFormat::Json => {
            let mut s = serde_json::to_string_pretty(&report).expect("serialises");
            s.push('\n');
            s
        }
        CompareFormat::Table => compare_table(&report),
        CompareFormat::Markdown => compare_markdown(&report),
    };
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
    let failed = report.comparisons.iter().any(|c| !c.regressions.is_empty());
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
    }
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
    if c.regressions.is_empty() {
        format!("gate: PASS ({} vs {})\n", c.candidate, c.baseline)
    } else {
        format!(
            "gate: FAIL ({} vs {}): significantly worse {}\n",
            c.candidate,
            c.baseline,
            c.regressions.join(", ")
        )
    }
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
