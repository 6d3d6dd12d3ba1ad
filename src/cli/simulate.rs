//! `ratesim simulate`: one run per strategy (or replications), the report
//! in the chosen format, and optionally charts, a time series and a
//! baseline file.

use std::path::PathBuf;
use std::time::Instant;

use super::args::{Format, ScenarioArgs, find_strategy};
use super::output::{
    check_file, prepare_dir, read_baseline, save_baseline, write_bytes, write_text,
};
use super::{CliError, print};
use crate::analysis::baseline::BaselineFile;
use crate::analysis::checks::{assertions, check_results};
use crate::charts::{self, ChartRun};
use crate::export::checks::{assertion_text, json_with_assertions};
use crate::export::{timeseries_csv, to_csv, to_markdown, to_markdown_with_charts, to_table};
use crate::report::{Report, StrategyResult};
use crate::sim;

/// Arguments of `ratesim simulate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim simulate scenarios/tier1.yaml
  ratesim simulate scenarios/tier1.yaml -n 10 --assert 'failed == 0' --out reports/tier1 --force
  ratesim simulate scenarios/tier1.yaml --strategy sdk_default --duration 10m --format json")]
pub struct SimulateArgs {
    #[command(flatten)]
    run: ScenarioArgs,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Also write report.json, report.md and PNG charts into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Write the per-bucket time series (one row per strategy, pool and
    /// bucket) to this CSV file.
    #[arg(long, value_name = "FILE.csv")]
    timeseries: Option<PathBuf>,
    /// Replace existing files (in --out, --timeseries, --save-baseline).
    #[arg(long)]
    force: bool,
    /// Run only the named strategy (repeatable): one of the scenario's, or
    /// any preset by name even if the scenario does not list it.
    #[arg(long = "strategy", value_name = "NAME")]
    strategies: Vec<String>,
    /// Print wall time, events/s, requests/s and peak memory to stderr.
    #[arg(long)]
    stats: bool,
    /// Independent replications (seeds derived from the scenario's); every
    /// metric then gets a mean and a 95 % confidence interval.
    #[arg(long, short = 'n', default_value_t = 1)]
    replications: u32,
    /// Worker threads for replications (0: one per core); results do not
    /// depend on it.
    #[arg(long, short = 'j', default_value_t = 0)]
    jobs: usize,
    /// An assertion on every strategy's result (repeatable), e.g.
    /// 'latency_ms.p99 < 2500' or 'token_bucket: rate_limited.total == 0';
    /// exit 1 if any fails. The scenario's `assert:` block applies too.
    #[arg(long = "assert", value_name = "EXPR")]
    asserts: Vec<String>,
    /// Save every replication's metrics here, for `compare --against`.
    #[arg(long, value_name = "FILE")]
    save_baseline: Option<PathBuf>,
    /// A baseline saved earlier: `baseline` in assertions reads it.
    #[arg(long, value_name = "FILE")]
    against: Option<PathBuf>,
}

/// Runs `simulate`.
pub fn run(args: SimulateArgs) -> Result<(), CliError> {
    let mut scenario = args.run.load()?;
    if !args.strategies.is_empty() {
        let mut chosen = Vec::new();
        for name in &args.strategies {
            let spec = find_strategy(&scenario, &args.run.scenario, name)
                .map_err(|e| CliError::Usage(format!("--strategy {name}: {e}")))?;
            if !chosen
                .iter()
                .any(|s: &crate::strategy::StrategySpec| s.name == spec.name)
            {
                chosen.push(spec);
            }
        }
        // The scenario's own in its order, as without the flag; then presets
        // it does not list, in the order the flags name them.
        chosen.sort_by_key(|c| {
            scenario
                .strategies
                .iter()
                .position(|s| s.name == c.name)
                .unwrap_or(usize::MAX)
        });
        scenario.strategies = chosen;
    }
    let checks = assertions(&scenario, &args.asserts)?;
    let against = args.against.as_deref().map(read_baseline).transpose()?;
    if let Some(p) = &args.save_baseline {
        check_file(p, args.force)?;
    }
    if let Some(p) = &args.timeseries {
        check_file(p, args.force)?;
    }
    crate::analysis::replicate::check_replications(args.replications)?;
    if args.replications > 1 && args.timeseries.is_some() {
        return Err(CliError::Usage(
            "--timeseries would describe a single run; drop --replications".into(),
        ));
    }
    if args.replications > 1 {
        let opts = super::replicated::ReplicatedOutput {
            format: args.format,
            out: args.out.clone(),
            force: args.force,
            save_baseline: args.save_baseline.clone(),
            stats: args.stats,
        };
        return super::replicated::run(
            &scenario,
            args.replications,
            args.jobs,
            &checks,
            against.as_ref(),
            &opts,
        );
    }
    // The charts depend only on the scenario's pools: name every file
    // before simulating, so nothing is overwritten without --force.
    let planned = charts::planned(&Report::new(&scenario, Vec::new()));
    let mut names = vec!["report.json", "report.md"];
    names.extend(planned.iter().map(|c| c.file.as_str()));
    let targets = match &args.out {
        Some(dir) => Some(prepare_dir(dir, &names, args.force)?),
        None => None,
    };

    let started = Instant::now();
    let mut results = Vec::new();
    let mut runs = Vec::new();
    let (mut events, mut requests) = (0u64, 0u64);
    for spec in &scenario.strategies {
        let m = sim::run(&scenario.sim, spec)?;
        events += m.events;
        let r = StrategyResult::new(&scenario, spec, &m);
        requests += r.total.requests;
        results.push(r);
        runs.push(m);
    }
    let wall = started.elapsed();
    let report = Report::new(&scenario, results);

    let verdicts = check_results(&report.results, &checks, against.as_ref())?;
    let mut text = match args.format {
        Format::Table => to_table(&report),
        Format::Json => json_with_assertions(&report, &verdicts),
        Format::Markdown => to_markdown(&report),
        Format::Csv => to_csv(&report),
    };
    match args.format {
        // Keep stdout a clean CSV.
        Format::Csv => eprint!("{}", assertion_text(&verdicts, false)),
        Format::Json => {}
        Format::Table | Format::Markdown => text.push_str(&assertion_text(
            &verdicts,
            matches!(args.format, Format::Markdown),
        )),
    }
    print(&text);
    if let Some(p) = &args.save_baseline {
        save_baseline(p, &BaselineFile::new(&scenario, 1, &report.results))?;
    }

    if let (Some(files), Some(dir)) = (targets, args.out.as_deref()) {
        write_text(&files[0], &report.to_json())?;
        let totals: Vec<_> = runs.iter().map(|m| m.total().latency_us).collect();
        let chart_runs: Vec<ChartRun<'_>> = runs
            .iter()
            .zip(&totals)
            .map(|(m, latency_us)| ChartRun {
                series: &m.series,
                latency_us,
            })
            .collect();
        let drawn = charts::render(&report, &chart_runs)?;
        for c in &drawn {
            write_bytes(&dir.join(&c.file), &c.png)?;
        }
        let embedded: Vec<(String, String)> =
            drawn.into_iter().map(|c| (c.title, c.file)).collect();
        write_text(&files[1], &to_markdown_with_charts(&report, &embedded))?;
        eprintln!(
            "wrote {}, {} and {} charts in {}",
            files[0].display(),
            files[1].display(),
            embedded.len(),
            dir.display()
        );
    }
    if let Some(p) = &args.timeseries {
        let series: Vec<_> = runs.iter().map(|m| &m.series).collect();
        write_text(p, &timeseries_csv(&report, &series))?;
        eprintln!("wrote {}", p.display());
    }
    if args.stats {
        let secs = wall.as_secs_f64().max(1e-9);
        eprintln!(
            "stats: wall {:.3} s, {} events ({:.0}/s), {} logical requests ({:.0}/s), peak RSS {}",
            secs,
            events,
            events as f64 / secs,
            requests,
            requests as f64 / secs,
            peak_rss().map_or("unknown".to_string(), |kb| format!(
                "{:.1} MB",
                kb as f64 / 1024.0
            )),
        );
    }
    if verdicts.iter().any(|v| !v.passed) {
        return Err(CliError::Failed("assertions failed (see above)"));
    }
    Ok(())
}

/// Peak resident set size in KiB (Linux `VmHWM`).
pub(super) fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
