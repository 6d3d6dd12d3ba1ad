//! `ratesim plan`.

use std::path::{Path, PathBuf};

use super::args::{Format, ScenarioArgs, find_strategy, parse_fraction};
use super::output::{prepare_dir, refuse_overwrite, write_bytes, write_text};
use super::progress::progress;
use super::{CliError, print};
use crate::analysis::plan::{Slo, budget, limited_dims, plan};
use crate::charts::plan::CHARTS;
use crate::export::plan::to_markdown;

/// Parses `15%/month`, `15%`, or `0.15`.
pub fn parse_growth(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("/month")
        .or_else(|| t.strip_suffix("/mo"))
        .unwrap_or(t);
    parse_fraction(t).map_err(|e| format!("--growth: {e} (e.g. 15%/month)"))
}

/// Arguments of `ratesim plan`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim plan scenarios/tier1.yaml --growth 15%/month
  ratesim plan scenarios/tier1.yaml --growth 15%/month --months 12 --out reports/plan-tier1 --force
  ratesim plan scenarios/tier1.yaml --growth 5%/month --slo-p99 10s --strategy sdk_default")]
pub struct PlanArgs {
    /// Today's traffic and limits (`--duration` applies to every month
    /// simulated).
    #[command(flatten)]
    pub run: ScenarioArgs,
    /// Demand growth per month, e.g. `15%/month`.
    #[arg(long, value_parser = parse_growth)]
    pub growth: f64,
    /// Months to project.
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// Strategy to simulate: one of the scenario's or any preset (default:
    /// the scenario's first).
    #[arg(long)]
    pub strategy: Option<String>,
    /// SLO: largest p99 latency, e.g. `30s` or `2500ms`.
    #[arg(long, default_value = "30s", value_parser = parse_ms)]
    pub slo_p99: f64,
    /// SLO: largest share of attempts answered 429, e.g. `1%`.
    #[arg(long, default_value = "1%", value_parser = parse_fraction)]
    pub slo_429_rate: f64,
    /// SLO: largest share of requests that fail, e.g. `1%`.
    #[arg(long, default_value = "1%", value_parser = parse_fraction)]
    pub slo_failed_rate: f64,
    /// Write request.md, plan.json and charts (a limit-increase request pack).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace existing files in --out.
    #[arg(long)]
    pub force: bool,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

fn parse_ms(s: &str) -> Result<f64, String> {
    crate::scenario::duration::parse(s)
        .map(|d| d.as_nanos() as f64 / 1e6)
        .map_err(|e| e.to_string())
}

/// Largest demand multiplier `plan` simulates.
const MAX_GROWTH_FACTOR: f64 = 1e6;

/// Runs `ratesim plan`.
pub fn run(args: &PlanArgs) -> Result<(), CliError> {
    let s = args.run.load()?;
    if args.months == 0 || args.months > 120 {
        return Err(CliError::Usage("--months must be between 1 and 120".into()));
    }
    // Each month is simulated at (1 + growth)^month times today's demand:
    // past a million-fold the runs would not finish (and at infinity the
    // arrival rates stop meaning anything).
    let factor = (1.0 + args.growth).powi(args.months as i32);
    if !(factor.is_finite() && factor <= MAX_GROWTH_FACTOR) {
        return Err(CliError::Usage(format!(
            "--growth over {} months multiplies demand by {factor:.3e}; \
             at most {MAX_GROWTH_FACTOR:e} can be simulated",
            args.months
        )));
    }
    let spec = match &args.strategy {
        Some(n) => find_strategy(&s, &args.run.scenario, n)?,
        None => s.strategies[0].clone(),
    };
    let slo = Slo {
        p99_ms: args.slo_p99,
        rate_429: args.slo_429_rate,
        failed_rate: args.slo_failed_rate,
    };
    let names = ["request.md", "plan.json", CHARTS[0].0, CHARTS[1].0];
    if let Some(dir) = &args.out {
        let paths: Vec<PathBuf> = names.iter().map(|f| dir.join(f)).collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        refuse_overwrite(&refs, args.force)?;
    }
    let bar = progress(budget(args.months, limited_dims(&s)), "simulating months");
    let plan = plan(&s, &spec, args.growth, args.months, slo, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let json = crate::report::json::pretty(&plan);
    let charts: Vec<(String, String)> = CHARTS
        .iter()
        .map(|(f, a)| (f.to_string(), a.to_string()))
        .collect();
    if let Some(dir) = &args.out {
        let files = prepare_dir(dir, &names, args.force)?;
        for c in crate::charts::plan::render(&plan)? {
            write_bytes(&dir.join(&c.file), &c.png)?;
        }
        write_text(&files[0], &to_markdown(&plan, &charts))?;
        write_text(&files[1], &json)?;
        eprintln!(
            "wrote {}",
            files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let text = match args.format {
        Format::Json => json,
        other => crate::export::render(&plan, other.into())?,
    };
    print(&text);
    Ok(())
}
