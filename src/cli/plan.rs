//! `ratesim plan`.

use std::path::{Path, PathBuf};

use super::args::{Format, ScenarioArgs, find_strategy, parse_fraction};
use super::output::{prepare_dir, refuse_overwrite, write_bytes, write_text};
use super::progress::progress;
use super::{CliError, print};
use crate::analysis::plan::{
    Slo, StrategyChoice, budget, estimated_streams, limited_dims, plan, tier_count,
};
use crate::charts::plan::CHARTS;
use crate::export::plan::to_markdown;
use crate::scenario::Scenario;

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
  ratesim plan scenarios/plan-growth.yaml --growth 15%/month
  ratesim plan scenarios/plan-growth.yaml --growth 15%/month --months 12 --out reports/plan-tier1 --force
  ratesim plan scenarios/tier1.yaml --growth 5%/month --slo-latency 10s --slo background=none --strategy sdk_default")]
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
    /// the scenario's best that keeps the SLO today, else `sdk_default`).
    #[arg(long)]
    pub strategy: Option<String>,
    /// SLO for every class: succeed within this latency, e.g. `30s`
    /// (default: the scenario's `slo:`, or 30 s without one).
    #[arg(long, value_name = "DURATION")]
    pub slo_latency: Option<String>,
    /// SLO for one class, overriding the rest: `CLASS=30s`, `CLASS=none`
    /// (any success), `CLASS=by:06:00` or `CLASS=exclude`. Repeatable.
    #[arg(long, value_name = "CLASS=RULE")]
    pub slo: Vec<String>,
    /// Share of each class's requests that must meet its rule, e.g. `99%`
    /// (default: the scenario's `slo.attainment`, or 99%).
    #[arg(long, value_parser = parse_fraction, value_name = "SHARE")]
    pub slo_attainment: Option<f64>,
    /// Also require at most this share of attempts answered 429, e.g. `5%`
    /// (default: no ceiling).
    #[arg(long, value_parser = parse_fraction, value_name = "SHARE")]
    pub slo_429_rate: Option<f64>,
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

/// The SLO the plan holds: the scenario's `slo:` (or every class within
/// 30 s), then `--slo-latency`, then each `--slo CLASS=RULE`.
fn slo_of(s: &Scenario, args: &PlanArgs) -> Result<Slo, CliError> {
    let usage = |m: String| CliError::Usage(m);
    let mut rules = Slo::of_scenario(s).rules;
    if let Some(l) = &args.slo_latency {
        let rule = s
            .slo_rule(l)
            .map_err(|e| usage(format!("--slo-latency {l}: {e}")))?;
        rules.rules = vec![rule; s.sim.classes.len()];
    }
    for one in &args.slo {
        let Some((class, rule)) = one.split_once('=') else {
            return Err(usage(format!(
                "--slo {one}: expected CLASS=RULE, e.g. background=none or chat=30s"
            )));
        };
        let Some(i) = s.sim.classes.iter().position(|c| c == class.trim()) else {
            return Err(usage(format!(
                "--slo {one}: the scenario has no class `{class}` (classes: {})",
                s.sim.classes.join(", ")
            )));
        };
        rules.rules[i] = s
            .slo_rule(rule)
            .map_err(|e| usage(format!("--slo {one}: {e}")))?;
    }
    if let Some(a) = args.slo_attainment {
        if !(a > 0.0 && a <= 1.0) {
            return Err(usage(
                "--slo-attainment must be above 0 and at most 100%".into(),
            ));
        }
        rules.attainment = a;
    }
    if rules.rules.iter().all(Option::is_none) {
        return Err(usage(
            "the SLO judges no class: every class is excluded".into(),
        ));
    }
    Ok(Slo {
        rules,
        max_429_share: args.slo_429_rate,
    })
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
    let given = match &args.strategy {
        Some(n) => Some(find_strategy(&s, &args.run.scenario, n)?),
        None => None,
    };
    let slo = slo_of(&s, args)?;
    let names = ["request.md", "plan.json", CHARTS[0].0, CHARTS[1].0];
    if let Some(dir) = &args.out {
        let paths: Vec<PathBuf> = names.iter().map(|f| dir.join(f)).collect();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        refuse_overwrite(&refs, args.force)?;
    }
    let choosing = if given.is_some() {
        0
    } else {
        s.strategies.len()
    };
    let runs = budget(
        args.months,
        choosing,
        tier_count(&s),
        limited_dims(&s),
        !estimated_streams(&s).is_empty(),
    );
    let bar = progress(runs, "simulating months");
    let choice = match &given {
        Some(spec) => StrategyChoice::Given(spec),
        None => StrategyChoice::Best,
    };
    let plan = plan(&s, choice, args.growth, args.months, slo, &|| bar.inc(1))?;
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
