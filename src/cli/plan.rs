//! `ratesim plan`.

use std::path::PathBuf;

use crate::analysis::plan::{Slo, budget, plan};
use crate::export::plan::{to_markdown, to_table};
use crate::scenario::Scenario;

/// Parses `15%/month`, `15%`, or `0.15`.
pub fn parse_growth(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("/month")
        .or_else(|| t.strip_suffix("/mo"))
        .unwrap_or(t);
    crate::cli::args::parse_fraction(t).map_err(|e| format!("--growth: {e} (e.g. 15%/month)"))
}

/// Arguments of `ratesim plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {
    /// Scenario file (YAML): today's traffic and limits.
    pub scenario: PathBuf,
    /// Demand growth per month, e.g. `15%/month`.
    #[arg(long, value_parser = parse_growth)]
    pub growth: f64,
    /// Months to project.
    #[arg(long, default_value_t = 12)]
    pub months: u32,
    /// Strategy to simulate (default: the scenario's first).
    #[arg(long)]
    pub strategy: Option<String>,
    /// SLO: largest p99 latency, e.g. `30s` or `2500ms`.
    #[arg(long, default_value = "30s", value_parser = parse_ms)]
    pub slo_p99: f64,
    /// SLO: largest share of attempts answered 429, e.g. `1%`.
    #[arg(long, default_value = "1%", value_parser = crate::cli::args::parse_fraction)]
    pub slo_429_rate: f64,
    /// SLO: largest share of requests that fail, e.g. `1%`.
    #[arg(long, default_value = "1%", value_parser = crate::cli::args::parse_fraction)]
    pub slo_failed_rate: f64,
    /// Override the scenario's `duration` (arrival window) for every month
    /// simulated, e.g. `2h`.
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::parse_duration)]
    pub duration: Option<crate::engine::SimTime>,
    /// Write request.md, plan.json and charts (a limit-increase request pack).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace existing files in --out.
    #[arg(long)]
    pub force: bool,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = PlanFormat::Table)]
    pub format: PlanFormat,
}

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum PlanFormat {
    /// Text.
    Table,
    /// JSON.
    Json,
    /// The request as Markdown.
    Markdown,
}

fn parse_ms(s: &str) -> Result<f64, String> {
    humantime::parse_duration(s.trim())
        .map(|d| d.as_secs_f64() * 1000.0)
        .map_err(|e| format!("`{s}`: {e} (e.g. 30s, 2500ms)"))
}

/// Largest demand multiplier `plan` simulates.
const MAX_GROWTH_FACTOR: f64 = 1e6;

/// Runs `ratesim plan`; exit 0, or a usage error (exit 2).
pub fn run_plan(args: &PlanArgs) -> Result<u8, String> {
    use std::io::Write;
    let mut s = Scenario::load(&args.scenario).map_err(|e| e.to_string())?;
    if let Some(d) = args.duration {
        s.sim.horizon = d;
    }
    if args.months == 0 || args.months > 120 {
        return Err("--months must be between 1 and 120".into());
    }
    // Each month is simulated at (1 + growth)^month times today's demand:
    // past a million-fold the runs would not finish (and at infinity the
    // arrival rates stop meaning anything).
    let factor = (1.0 + args.growth).powi(args.months as i32);
    if !(factor.is_finite() && factor <= MAX_GROWTH_FACTOR) {
        return Err(format!(
            "--growth over {} months multiplies demand by {factor:.3e}; \
             at most {MAX_GROWTH_FACTOR:e} can be simulated",
            args.months
        ));
    }
    let spec = match &args.strategy {
        Some(n) => s
            .strategies
            .iter()
            .find(|x| &x.name == n)
            .cloned()
            .ok_or_else(|| format!("no strategy `{n}` in {}", args.scenario.display()))?,
        None => s.strategies[0].clone(),
    };
    let slo = Slo {
        p99_ms: args.slo_p99,
        rate_429: args.slo_429_rate,
        failed_rate: args.slo_failed_rate,
    };
    let files = ["request.md", "plan.json", CHART_FILES[0], CHART_FILES[1]];
    if let Some(dir) = &args.out {
        let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
        let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
        crate::cli::output::refuse_overwrite(&refs, args.force)?;
    }
    let bar = crate::cli::progress::progress(budget(args.months), "simulating months");
    let plan = plan(&s, &spec, args.growth, args.months, slo, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let json = crate::report::json::pretty(&plan);
    let charts: Vec<(String, String)> = crate::charts::plan::CHARTS
        .iter()
        .map(|(f, a)| (f.to_string(), a.to_string()))
        .collect();
    if let Some(dir) = &args.out {
        crate::cli::output::create_dir(dir)?;
        crate::charts::plan::render(dir, &plan)?;
        crate::cli::output::write_text(&dir.join("request.md"), &to_markdown(&plan, &charts))?;
        crate::cli::output::write_text(&dir.join("plan.json"), &json)?;
        eprintln!(
            "wrote {}",
            files.map(|f| dir.join(f).display().to_string()).join(", ")
        );
    }
    let text = match args.format {
        PlanFormat::Table => to_table(&plan),
        PlanFormat::Json => json,
        PlanFormat::Markdown => to_markdown(&plan, &[]),
    };
    let mut o = std::io::stdout().lock();
    let _ = o.write_all(text.as_bytes());
    let _ = o.flush();
    Ok(0)
}

const CHART_FILES: [&str; 2] = [
    crate::charts::plan::CHARTS[0].0,
    crate::charts::plan::CHARTS[1].0,
];
