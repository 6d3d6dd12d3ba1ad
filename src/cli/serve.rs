//! `ratesim serve`: the provider model behind a local HTTP port. This file
//! owns what the library may not touch: the socket address, the wall clock
//! for the live line, Ctrl-C, the `--record` file and the summary.

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use super::CliError;
use super::args::{parse_duration, parse_fraction, warn};
use super::output::{check_file, prepare_dir, write_bytes, write_text};
use crate::charts::{self, ChartRun};
use crate::engine::SimTime;
use crate::export::{to_markdown_with_charts, to_table};
use crate::model::catalog;
use crate::report::{Report, StrategyResult};
use crate::scenario::Scenario;
use crate::serve::{self, App, ServeConfig, Session, StatsDoc, Summary};
use crate::text::suggest;

/// Arguments of `ratesim serve`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("limits").args(["tier", "scenario"])))]
#[command(after_help = "Examples:
  ratesim serve --tier tier1 --port 8080
  ratesim serve --scenario scenarios/tier1.yaml --port 0 --speed 10 --record calls.jsonl
  ratesim serve --tier tier2 --duration 10m --out serve-report --force")]
pub struct ServeArgs {
    /// Serve a tier's published limits for every model in its pools
    /// (default tier1), with the catalogue's latency and no overload.
    #[arg(long, value_name = "TIER")]
    tier: Option<String>,
    /// Serve a scenario's pools, limiter, latency, overload and output
    /// lengths (its streams' distributions, by model).
    #[arg(long, value_name = "FILE.yaml")]
    scenario: Option<PathBuf>,
    /// Port to listen on (0: any free port, printed on the first line).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on. Anything but loopback exposes the server to
    /// the network (it accepts any API key): a warning says so.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Simulated seconds per wall second: `--speed 10` passes a minute of
    /// limits in 6 s. retry-after and reset headers are in simulated time.
    #[arg(long, default_value_t = 1.0, value_parser = parse_speed)]
    speed: f64,
    /// Seed for output lengths, latency noise, 529s and ids (default: the
    /// scenario's).
    #[arg(long)]
    seed: Option<u64>,
    /// Stop after this much simulated time (default: until Ctrl-C).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    duration: Option<SimTime>,
    /// Write one JSON line per attempt to this file (replayable by
    /// `simulate` as a `trace:` stream).
    #[arg(long, value_name = "FILE.jsonl")]
    record: Option<PathBuf>,
    /// Write report.json and report.md (the summary) into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Replace existing files (--record, --out).
    #[arg(long)]
    force: bool,
    /// Every response generates exactly this many output tokens (capped by
    /// max_tokens) instead of drawing from the distribution.
    #[arg(long, value_name = "N")]
    output_tokens: Option<u64>,
    /// Chance that a streamed 200 breaks off with a mid-stream
    /// `event: error` overloaded_error (e.g. 5% or 0.05).
    #[arg(long, value_name = "P", default_value = "0", value_parser = parse_probability)]
    stream_errors: f64,
    /// Largest request body in bytes; larger ones get 413.
    #[arg(long, value_name = "BYTES", default_value_t = serve::config::DEFAULT_MAX_BODY)]
    max_body: usize,
    /// No live line on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 1e6 => Ok(v),
        _ => Err(format!("`{s}` must be a number > 0 and at most 1000000")),
    }
}

fn parse_probability(s: &str) -> Result<f64, String> {
    let p = parse_fraction(s)?;
    if p > 1.0 {
        return Err(format!("`{s}` must be at most 1 (100%)"));
    }
    Ok(p)
}

/// Runs the server until Ctrl-C or `--duration`.
pub fn run(args: &ServeArgs) -> Result<(), CliError> {
    let scenario = match (&args.scenario, &args.tier) {
        (Some(path), _) => {
            let s = Scenario::load(path)?;
            warn(&s);
            s
        }
        (None, tier) => {
            let tier = tier.as_deref().unwrap_or("tier1");
            if catalog::profile(tier).is_none() {
                let names = catalog::profile_names();
                return Err(CliError::Usage(format!(
                    "--tier: unknown tier `{tier}`, expected one of {}{}",
                    names.join(", "),
                    suggest::hint(tier, names.iter().copied())
                )));
            }
            serve::tier_scenario(tier)?
        }
    };
    let mut cfg = ServeConfig::from_scenario(&scenario).map_err(crate::sim::SimError::from)?;
    if let Some(seed) = args.seed {
        cfg.seed = seed;
    }
    if let Some(d) = args.duration {
        cfg.horizon = d;
    }
    cfg.speed = args.speed;
    cfg.epoch_unix_s = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    cfg.max_body_bytes = args.max_body;
    cfg.stream_error_probability = args.stream_errors;
    cfg.output_tokens = args.output_tokens;
    cfg.keep_records = true;
    // Refuse to overwrite before serving, not after an hour of it.
    if let Some(r) = &args.record {
        check_file(r, args.force)?;
    }
    // The charts depend only on the scenario's pools: name every file
    // before serving, so nothing is overwritten without --force.
    let planned = charts::planned(&Report::new(&scenario, Vec::new()));
    let mut names = vec!["report.json", "report.md"];
    names.extend(planned.iter().map(|c| c.file.as_str()));
    let out_files = match &args.out {
        Some(dir) => Some(prepare_dir(dir, &names, args.force)?),
        None => None,
    };
    let mut record = match &args.record {
        Some(path) => Some(std::io::BufWriter::new(
            std::fs::File::create(path)
                .map_err(|e| CliError::Usage(format!("cannot create {}: {e}", path.display())))?,
        )),
        None => None,
    };
    if !args.bind.is_loopback() {
        eprintln!(
            "warning: listening on {} exposes the server beyond this machine; it accepts any API key",
            args.bind
        );
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Usage(format!("cannot start the async runtime: {e}")))?;
    let addr = SocketAddr::new(args.bind, args.port);
    let (summary, session) = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
        let local = listener
            .local_addr()
            .map_err(|e| CliError::Usage(format!("cannot listen on {addr}: {e}")))?;
        let app = App::new(cfg);
        eprintln!("listening on http://{local}");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve::serve(listener, app.clone(), async {
            let _ = stop_rx.await;
        }));
        // The attempts folded in as they come: memory stays flat however
        // many requests the session serves.
        let mut session = Session::new(app.config());
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.tick().await;
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                _ = &mut ctrl_c => break,
                _ = tick.tick() => {}
            }
            let stats = app.stats();
            drain(&app, &mut record, &mut session)?;
            if !args.quiet {
                eprintln!("{}", live_line(&stats));
            }
            if args.duration.is_some_and(|d| app.clock().now() >= d) {
                break;
            }
        }
        let _ = stop_tx.send(());
        // Let responses under way finish, but never hang on a stuck client.
        let _ = tokio::time::timeout(Duration::from_secs(5), server).await;
        drain(&app, &mut record, &mut session)?;
        let stats = app.stats();
        let summary = session.summary(stats.totals, stats.now_s, stats.wall_s, stats.speed);
        Ok::<_, CliError>((summary, session))
    })?;
    rt.shutdown_timeout(Duration::from_secs(1));

    // The session in `simulate`'s report shape: the client is the strategy.
    let end = SimTime::from_secs_f64(summary.simulated_s);
    let mut scenario = scenario;
    scenario.sim.horizon =
        SimTime::from_secs(end.as_nanos().div_ceil(SimTime::NANOS_PER_SEC).max(1));
    scenario.sim.drain = SimTime::ZERO;
    let metrics = session.metrics(end);
    let spec = scenario
        .strategy_named("sdk_default")
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let mut result = StrategyResult::new(&scenario, &spec, &metrics);
    result.strategy = "your client".into();
    result.layers =
        "recorded through ratesim serve: the client's own queueing, pacing and retries".into();
    let report = Report::new(&scenario, vec![result]);
    let pattern = summary_text(&summary);
    super::print(&format!("{}\n{pattern}", to_table(&report)));
    if let (Some(files), Some(dir)) = (out_files, args.out.as_deref()) {
        write_text(&files[0], &report.to_json())?;
        let latency_us = metrics.total().latency_us;
        let runs = [ChartRun {
            series: &metrics.series,
            latency_us: &latency_us,
        }];
        let drawn = charts::render(&report, &runs)?;
        for c in &drawn {
            write_bytes(&dir.join(&c.file), &c.png)?;
        }
        let embedded: Vec<(String, String)> =
            drawn.into_iter().map(|c| (c.title, c.file)).collect();
        let md = format!(
            "{}\n## The client's retry pattern\n\n```\n{pattern}```\n",
            to_markdown_with_charts(&report, &embedded)
        );
        write_text(&files[1], &md)?;
        eprintln!(
            "wrote {}, {} and {} charts in {}",
            files[0].display(),
            files[1].display(),
            embedded.len(),
            dir.display()
        );
    }
    Ok(())
}

/// Moves the attempts judged since the last call into `session` and the
/// record file.
fn drain(
    app: &App,
    record: &mut Option<std::io::BufWriter<std::fs::File>>,
    session: &mut Session,
) -> Result<(), CliError> {
    let new = app.take_records();
    if let Some(w) = record {
        for r in &new {
            let line = serde_json::to_string(r)
                .map_err(|e| CliError::Usage(format!("cannot serialise an attempt: {e}")))?;
            writeln!(w, "{line}")
                .map_err(|e| CliError::Usage(format!("cannot write the record: {e}")))?;
        }
        w.flush()
            .map_err(|e| CliError::Usage(format!("cannot write the record: {e}")))?;
    }
    for r in &new {
        session.add(r);
    }
    Ok(())
}

fn short(n: u64) -> String {
    if n >= 10_000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        n.to_string()
    }
}

/// One line per second: counts, 429s by dimension, 529s, in flight, and
/// per active pool the last minute's use against each limit.
fn live_line(s: &StatsDoc) -> String {
    let t = &s.totals;
    let r = &t.rate_limited.0;
    let mut line = format!(
        "t={:.0}s attempts {} ok {} 429 {} (rpm {} itpm {} otpm {}) 529 {} in flight {}",
        s.now_s,
        t.attempts,
        t.ok,
        t.rate_limited.total(),
        r[0],
        r[1],
        r[2],
        t.overloaded + t.stream_errors,
        s.in_flight
    );
    let lim = |used: u64, l: Option<u64>| match l {
        Some(l) => format!("{}/{}", short(used), short(l)),
        None => short(used),
    };
    for p in s
        .pools
        .iter()
        .filter(|p| p.last_minute.requests > 0 || p.in_flight > 0)
    {
        line.push_str(&format!(
            " | {} rpm {} itpm {} otpm {}",
            p.name,
            lim(p.last_minute.requests, p.limits.rpm),
            lim(p.last_minute.input_tokens, p.limits.itpm),
            lim(p.last_minute.output_tokens, p.limits.otpm),
        ));
    }
    line
}

/// The summary as text (stdout and report.md).
fn summary_text(s: &Summary) -> String {
    let t = &s.totals;
    let mut out = format!(
        "served {:.1} s simulated ({:.1} s wall, speed {})\n\
         attempts {}  ok {}  429 {}  529 {}  mid-stream errors {}  refused (4xx) {}\n",
        s.simulated_s,
        s.wall_s,
        s.speed,
        t.attempts,
        t.ok,
        t.rate_limited.total(),
        t.overloaded,
        t.stream_errors,
        t.invalid
    );
    let dims: Vec<String> = crate::model::Dimension::ALL
        .iter()
        .filter(|d| t.rate_limited.0[d.index()] > 0)
        .map(|d| format!("{} {}", d.name(), t.rate_limited.0[d.index()]))
        .collect();
    if !dims.is_empty() {
        out.push_str(&format!("429 by dimension: {}\n", dims.join(", ")));
    }
    if let Some([p50, p90, p99, max]) = s.latency_ms {
        out.push_str(&format!(
            "latency of 200s (simulated ms): p50 {p50:.0}  p90 {p90:.0}  p99 {p99:.0}  max {max:.0}\n"
        ));
    }
    let r = &s.retries;
    let per: Vec<String> = r
        .retries_per_request
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k}: {n}"))
        .collect();
    out.push_str(&format!(
        "client: {} requests in {} attempts; requests by retries {{{}}}; gave up {}\n",
        r.requests,
        r.attempts,
        per.join(", "),
        r.gave_up
    ));
    if let Some(w) = &r.waits {
        out.push_str(&format!(
            "client waits between attempts (simulated s): min {:.2}  p50 {:.2}  max {:.2}; \
             honoured retry-after {} of {}\n",
            w.min_s, w.p50_s, w.max_s, r.honoured_retry_after, r.waits_after_retry_after
        ));
    }
    out
}
