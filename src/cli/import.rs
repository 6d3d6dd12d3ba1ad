//! `ratesim import`: usage reports, GenAI spans or LiteLLM spend logs (and
//! the organisation's limits) in, a commented scenario out. The library
//! (`crate::import`) parses and renders; this file opens the inputs, writes
//! the scenario and its traces atomically and prints the summary.

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::CliError;
use super::output;
use crate::import::limits::OrgLimits;
use crate::import::usage::{Estimate, UsageReader};
use crate::import::{self, ImportError, RenderOptions, Streams, Summary};
use crate::model::catalog::{self, find_model};

/// Which kind of data the files hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// Admin API usage report pages (GET /v1/organizations/usage_report/messages).
    UsageReport,
    /// OpenTelemetry GenAI spans: OTLP/JSON, or JSON Lines of export requests.
    Otel,
    /// LiteLLM proxy spend logs (LiteLLM_SpendLogs) as CSV or JSON.
    Litellm,
}

/// Flags of `ratesim import`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  ratesim import usage-report examples/import/usage-report/usage-1.json examples/import/usage-report/usage-2.json --limits examples/import/rate_limits.json --mean-input-tokens 1500 --out my-org.yaml
  ratesim import otel examples/import/otel/traces.jsonl --out my-app.yaml
  ratesim import litellm examples/import/litellm/spend_logs.csv --replay --out my-proxy.yaml")]
pub struct ImportArgs {
    /// What the files are.
    #[arg(value_enum)]
    pub format: ImportFormat,
    /// The input files (usage-report pages: one file per page).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The scenario to write; replayed records go in `<stem>.traces/` beside it.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Overwrite the scenario and its traces if they exist.
    #[arg(long)]
    pub force: bool,
    /// Saved pages of the Rate Limits API (GET /v1/organizations/rate_limits):
    /// the organisation's real limits become the scenario's `pools:`.
    #[arg(long, value_name = "FILE", num_args = 1..)]
    pub limits: Vec<PathBuf>,
    /// The catalogue tier for limits the data does not give and for the
    /// monthly spend limit (see `ratesim tiers`). Default: the smallest Usage
    /// Tier whose spend limit covers the data's list-price spend a month.
    #[arg(long)]
    pub tier: Option<String>,
    /// Usage reports: assumed mean input tokens a request (uncached + cache
    /// read + cache write), to estimate request counts (default 2000, stated
    /// as an assumption).
    #[arg(long, value_name = "N")]
    pub mean_input_tokens: Option<f64>,
    /// Usage reports: per-request data (GenAI spans or LiteLLM logs) whose
    /// mean input per request, per model, estimates the request counts.
    #[arg(long, value_name = "FILE")]
    pub sample: Option<PathBuf>,
    /// Keep the raw records as the workload (traces) instead of the fit.
    /// Usage reports are always replayed bucket by bucket.
    #[arg(long)]
    pub replay: bool,
    /// Usage reports not grouped by model: the model their tokens went to.
    #[arg(long, default_value = "claude-sonnet-4-5")]
    pub model: String,
    /// The scenario's name (default: the output file's stem).
    #[arg(long)]
    pub name: Option<String>,
}

/// Runs `ratesim import`.
pub fn run(args: &ImportArgs) -> Result<(), CliError> {
    let stem = args
        .out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "imported".into());
    let trace_dir_name = format!("{stem}.traces");
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let trace_dir = dir.join(&trace_dir_name);
    output::check_file(&args.out, args.force)?;
    output::refuse_overwrite(&[trace_dir.as_path()], args.force)?;
    if let Some(t) = &args.tier
        && catalog::profile(t).is_none()
    {
        return Err(CliError::Usage(format!(
            "--tier: unknown tier `{t}`, expected one of {}",
            catalog::profile_names().join(", ")
        )));
    }
    let default_model = find_model(&args.model).ok_or_else(|| {
        CliError::Usage(format!(
            "--model: unknown model `{}`, expected one of {}",
            args.model,
            catalog::model_ids().join(", ")
        ))
    })?;

    let mut summary = Summary::default();
    let limits = read_limits(&args.limits).map_err(err)?;
    if let Some(l) = &limits {
        summary.read.push(format!(
            "{} limit entr{} from {}",
            l.entries,
            if l.entries == 1 { "y" } else { "ies" },
            names(&args.limits)
        ));
    }

    let (streams, replay, mean_input) = match args.format {
        ImportFormat::UsageReport => {
            let estimate = estimate(args)?;
            let mut reader = UsageReader::new(estimate, default_model);
            let mut streams = Streams::new(true);
            for f in &args.files {
                reader
                    .read_page(&f.display().to_string(), open(f)?, &mut streams)
                    .map_err(err)?;
            }
            reader.summarise(&mut summary);
            let mean = reader.estimated().then(|| reader.estimate().mean_input);
            (streams, true, mean)
        }
        ImportFormat::Otel | ImportFormat::Litellm => {
            if args.mean_input_tokens.is_some() || args.sample.is_some() {
                return Err(CliError::Usage(
                    "--mean-input-tokens and --sample are for usage reports: spans and spend logs count requests"
                        .into(),
                ));
            }
            let mut streams = Streams::new(args.replay);
            read_per_request(args.format, &args.files, &mut streams, &mut summary)?;
            (streams, args.replay, None)
        }
    };
    if streams.map.is_empty() {
        return Err(err(ImportError::file(
            &names(&args.files),
            "no Anthropic traffic to import (every record was dropped: see above)",
        ))
        .with_summary(&summary));
    }
    let (tier, tier_limit) = choose_tier(args.tier.as_deref(), &streams, &mut summary);
    let opts = RenderOptions {
        name: args.name.clone().unwrap_or(stem),
        source: format!("{} ({})", source_name(args.format), names(&args.files)),
        replay,
        trace_dir: trace_dir_name,
        tier,
        tier_limit,
        limits,
        mean_input_tokens: mean_input,
    };
    let generated = import::render(&streams, &opts, &mut summary);
    if !generated.traces.is_empty() {
        output::create_dir(&trace_dir)?;
    }
    for (rel, text) in &generated.traces {
        output::write_text(&dir.join(rel), text)?;
    }
    output::write_text(&args.out, &generated.yaml)?;
    eprint!("{}", summary.text());
    eprintln!(
        "wrote {}{}",
        args.out.display(),
        if generated.traces.is_empty() {
            String::new()
        } else {
            format!(
                " and {} trace file(s) in {}",
                generated.traces.len(),
                trace_dir.display()
            )
        }
    );
    Ok(())
}

trait WithSummary {
    fn with_summary(self, s: &Summary) -> Self;
}

impl WithSummary for CliError {
    fn with_summary(self, s: &Summary) -> CliError {
        eprint!("{}", s.text());
        self
    }
}

fn source_name(f: ImportFormat) -> &'static str {
    match f {
        ImportFormat::UsageReport => "an Admin API usage report",
        ImportFormat::Otel => "OpenTelemetry GenAI spans",
        ImportFormat::Litellm => "LiteLLM spend logs",
    }
}

fn err(e: ImportError) -> CliError {
    CliError::Usage(e.to_string())
}

fn names(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn open(f: &Path) -> Result<BufReader<File>, CliError> {
    File::open(f)
        .map(BufReader::new)
        .map_err(|e| CliError::Usage(format!("{}: cannot read: {e}", f.display())))
}

fn read_limits(files: &[PathBuf]) -> Result<Option<OrgLimits>, ImportError> {
    if files.is_empty() {
        return Ok(None);
    }
    let mut l = OrgLimits::default();
    for f in files {
        let name = f.display().to_string();
        let r = File::open(f).map_err(|e| ImportError::file(&name, format!("cannot read: {e}")))?;
        l.read_page(&name, BufReader::new(r))?;
    }
    Ok(Some(l))
}

/// Mean input tokens a request assumed when a usage report comes with
/// neither `--mean-input-tokens` nor `--sample`: a placeholder, said loudly
/// in the summary and the scenario's header, so the commands work on a bare
/// report and the user knows what to replace.
const DEFAULT_MEAN_INPUT: f64 = 2000.0;

/// The request-count assumption for a usage report.
/// The scenario's tier: `--tier`, or the smallest Usage Tier whose monthly
/// spend limit covers what the data spends (tier 4 with no spend limit when
/// none does: monthly invoicing). Also whether the tier's limit applies.
fn choose_tier(given: Option<&str>, streams: &Streams, summary: &mut Summary) -> (String, bool) {
    let monthly = import::spend::monthly_spend_usd(streams);
    let usd = |x: f64| format!("${}", import::group(x.round() as u64));
    if let Some(t) = given {
        if let Some(cap) = catalog::profile(t).and_then(|p| p.spend.monthly_limit_usd)
            && monthly > cap as f64
        {
            summary.assumptions.push(format!(
                "spend: the data spends about {} a month at list prices, over tier `{t}`'s monthly \
                 spend limit of {}: expect spend 429s once it is reached (--tier picks another)",
                usd(monthly),
                usd(cap as f64)
            ));
        }
        return (t.to_string(), true);
    }
    match import::spend::tier_for(monthly) {
        Some((t, cap)) => {
            summary.assumptions.push(format!(
                "tier: `{t}`, the smallest Usage Tier whose monthly spend limit ({}) covers the \
                 data's list-price spend of about {} a month (--tier picks another)",
                usd(cap as f64),
                usd(monthly)
            ));
            (t.to_string(), true)
        }
        None => {
            summary.assumptions.push(format!(
                "tier: `tier4` with no monthly spend limit (`spend: {{tier_limit: false}}`): the \
                 data's list-price spend of about {} a month is over every Usage Tier's limit, \
                 as on monthly invoicing (--tier picks another)",
                usd(monthly)
            ));
            ("tier4".to_string(), false)
        }
    }
}

fn estimate(args: &ImportArgs) -> Result<Estimate, CliError> {
    match (args.mean_input_tokens, &args.sample) {
        (Some(_), Some(_)) => Err(CliError::Usage(
            "give --mean-input-tokens or --sample, not both".into(),
        )),
        (Some(n), None) if n.is_finite() && n >= 1.0 => Ok(Estimate {
            mean_input: n,
            per_model: Default::default(),
            source: "--mean-input-tokens".into(),
        }),
        (Some(n), None) => Err(CliError::Usage(format!(
            "--mean-input-tokens: expected a number of tokens ≥ 1, got {n}"
        ))),
        (None, Some(sample)) => {
            let format = if sample
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            {
                ImportFormat::Litellm
            } else {
                sniff(sample)?
            };
            let mut streams = Streams::new(false);
            let mut ignored = Summary::default();
            read_per_request(
                format,
                std::slice::from_ref(sample),
                &mut streams,
                &mut ignored,
            )?;
            import::sample_estimate(&streams, &sample.display().to_string()).map_err(err)
        }
        (None, None) => Ok(Estimate {
            mean_input: DEFAULT_MEAN_INPUT,
            per_model: Default::default(),
            source: format!(
                "a DEFAULT of {DEFAULT_MEAN_INPUT:.0}: neither --mean-input-tokens nor --sample was \
                 given; replace it with your own figure"
            ),
        }),
    }
}

/// OTLP/JSON or LiteLLM JSON, by a look at the file's start.
fn sniff(f: &Path) -> Result<ImportFormat, CliError> {
    use std::io::Read;
    let mut buf = vec![0u8; 4096];
    let n = open(f)?.read(&mut buf).unwrap_or(0);
    let head = String::from_utf8_lossy(&buf[..n]);
    Ok(if head.contains("resourceSpans") {
        ImportFormat::Otel
    } else {
        ImportFormat::Litellm
    })
}

fn read_per_request(
    format: ImportFormat,
    files: &[PathBuf],
    streams: &mut Streams,
    summary: &mut Summary,
) -> Result<(), CliError> {
    match format {
        ImportFormat::Otel => {
            let mut r = import::otel::SpanReader::default();
            for f in files {
                r.read_file(&f.display().to_string(), open(f)?, streams)
                    .map_err(err)?;
            }
            r.summarise(summary);
        }
        ImportFormat::Litellm => {
            let mut r = import::litellm::SpendReader::default();
            for f in files {
                let name = f.display().to_string();
                if f.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
                    r.read_csv(&name, open(f)?, streams).map_err(err)?;
                } else {
                    r.read_json(&name, open(f)?, streams).map_err(err)?;
                }
            }
            r.summarise(summary);
        }
        ImportFormat::UsageReport => {}
    }
    Ok(())
}
