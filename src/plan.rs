//! `ratesim plan`: project demand month by month under a growth rate, find
//! when each limit dimension crosses 70 %, 80 % and 100 %, and search — with
//! the simulator, not a linear guess — for the smallest tier or the explicit
//! limits that keep the SLO at the target months.

use std::path::PathBuf;

use serde::Serialize;

use crate::model::PoolLimits;
use crate::model::catalog;
use crate::report::StrategyResult;
use crate::scenario::Scenario;
use crate::sim;
use crate::strategy::StrategySpec;

/// Utilisation thresholds a plan reports crossings for.
pub const THRESHOLDS: [f64; 3] = [0.7, 0.8, 1.0];

/// The rate-limit dimensions a plan projects.
pub const DIMS: [&str; 3] = ["rpm", "itpm", "otpm"];

/// What the plan must keep.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Slo {
    /// Largest acceptable p99 latency, ms.
    pub p99_ms: f64,
    /// Largest acceptable share of attempts answered 429.
    pub rate_429: f64,
    /// Largest acceptable share of logical requests that fail.
    pub failed_rate: f64,
}

impl Slo {
    /// Whether a result keeps the SLO.
    pub fn holds(&self, r: &StrategyResult) -> bool {
        let t = &r.total;
        t.latency_ms.p99 <= self.p99_ms
            && rate(t.rate_limited.total, t.attempts) <= self.rate_429
            && rate(t.failed, t.requests) <= self.failed_rate
    }
}

fn rate(n: u64, of: u64) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// One pool's peak-minute demand and utilisation in one month.
#[derive(Clone, Debug, Serialize)]
pub struct PoolMonth {
    /// Pool name.
    pub pool: String,
    /// Peak-minute demand per dimension (requests, ITPM-counted input
    /// tokens, output tokens), measured with no limits in the way.
    pub peak_per_min: [f64; 3],
    /// Peak demand ÷ the current limit, per dimension (None: unlimited).
    pub utilisation: [Option<f64>; 3],
}

/// One projected month.
#[derive(Clone, Debug, Serialize)]
pub struct Month {
    /// Months from now.
    pub month: u32,
    /// Demand multiplier (1 + growth)^month.
    pub factor: f64,
    /// Per pool.
    pub pools: Vec<PoolMonth>,
}

/// When a pool's dimension first crosses a threshold.
#[derive(Clone, Debug, Serialize)]
pub struct Crossing {
    /// Pool.
    pub pool: String,
    /// Dimension (`rpm`, `itpm`, `otpm`).
    pub dimension: String,
    /// Threshold (0.7, 0.8, 1.0).
    pub threshold: f64,
    /// First month at or above it; None if not within the horizon.
    pub month: Option<u32>,
}

/// The outcome at a target month under some limits.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// 429s.
    pub rate_limited: u64,
    /// Share of attempts answered 429.
    pub rate_429: f64,
    /// Failed logical requests.
    pub failed: u64,
    /// p99 latency, ms.
    pub p99_ms: f64,
    /// Whether the SLO holds.
    pub slo_met: bool,
}

impl Outcome {
    fn of(r: &StrategyResult, slo: &Slo) -> Outcome {
        let t = &r.total;
        Outcome {
            rate_limited: t.rate_limited.total,
            rate_429: round(rate(t.rate_limited.total, t.attempts), 4),
            failed: t.failed,
            p99_ms: t.latency_ms.p99,
            slo_met: slo.holds(r),
        }
    }
}

/// What a target month needs.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// Months from now.
    pub month: u32,
    /// At today's limits.
    pub at_current: Outcome,
    /// The smallest catalogue tier that keeps the SLO, if any does.
    pub smallest_tier: Option<String>,
    /// Explicit limits per pool that keep the SLO (found by search).
    pub requested: Vec<(String, PoolLimits)>,
    /// At the requested limits.
    pub at_requested: Outcome,
}

/// A whole plan.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Layout version.
    pub schema_version: u32,
    /// Scenario name.
    pub scenario: String,
    /// Strategy simulated.
    pub strategy: String,
    /// Monthly growth.
    pub growth_per_month: f64,
    /// Months projected.
    pub months: u32,
    /// The SLO.
    pub slo: Slo,
    /// Current limits per pool.
    pub current: Vec<(String, PoolLimits)>,
    /// Month by month.
    pub projection: Vec<Month>,
    /// Threshold crossings.
    pub crossings: Vec<Crossing>,
    /// Target months (6 and 12, within the horizon).
    pub targets: Vec<Target>,
}

fn round(x: f64, d: i32) -> f64 {
    let m = 10f64.powi(d);
    (x * m).round() / m
}

/// The scenario with every stream's traffic multiplied by `factor`.
pub fn scaled(s: &Scenario, factor: f64) -> Scenario {
    let mut out = s.clone();
    for st in &mut out.sim.streams {
        st.arrivals = st.arrivals.scaled(factor);
        for sp in &mut st.spikes {
            sp.count = (sp.count as f64 * factor).round() as u64;
        }
        // A replayed trace grows by replaying more of its rows.
        if let Some(t) = &mut st.trace {
            t.volume *= factor;
        }
    }
    out
}

fn with_limits(s: &Scenario, limits: &[PoolLimits]) -> Scenario {
    let mut out = s.clone();
    for (i, (_, l)) in out.sim.provider.pools.iter_mut().enumerate() {
        *l = limits[i];
    }
    for (i, l) in out.sim.client_limits.iter_mut().enumerate() {
        *l = limits[i];
    }
    out
}

/// Peak-minute demand per pool: the run with no limits, a client that sends
/// at once, and windows of one minute over the per-bucket series.
pub fn peak_demand(s: &Scenario) -> Result<Vec<[f64; 3]>, String> {
    let open = with_limits(s, &vec![PoolLimits::default(); s.sim.provider.pools.len()]);
    let mut open = open;
    open.sim.provider.workspaces.clear();
    open.sim.provider.acceleration = None;
    open.sim.provider.overload = Default::default();
    let spec = crate::strategy::Preset::ExponentialBackoff.spec();
    let m = sim::run(&open.sim, &spec)?;
    let series = &m.series;
    let width = series.width().as_nanos().max(1) as f64;
    let minute = crate::engine::SimTime::NANOS_PER_MIN as f64;
    let k = ((minute / width).ceil() as usize).max(1);
    let scale = minute / (k as f64 * width).max(minute);
    let mut out = Vec::new();
    for p in 0..series.pools() {
        let mut peak = [0.0f64; 3];
        let n = series.len();
        let mut win = [0u64; 3];
        for i in 0..n {
            let b = series.pool(i, p);
            win[0] += b.requests;
            win[1] += b.input_tokens;
            win[2] += b.output_tokens;
            if i >= k {
                let old = series.pool(i - k, p);
                win[0] -= old.requests;
                win[1] -= old.input_tokens;
                win[2] -= old.output_tokens;
            }
            for d in 0..3 {
                peak[d] = peak[d].max(win[d] as f64 * scale);
            }
        }
        out.push(peak);
    }
    Ok(out)
}

fn limit_of(l: &PoolLimits, d: usize) -> Option<u64> {
    [l.rpm, l.itpm, l.otpm][d]
}

fn run_one(s: &Scenario, spec: &StrategySpec) -> Result<StrategyResult, String> {
    let m = sim::run(&s.sim, spec)?;
    Ok(StrategyResult::new(s, spec, &m))
}

/// Rounds up to two significant figures (limits as one would request them).
fn nice_up(x: f64) -> u64 {
    if x <= 1.0 {
        return 1;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    ((x / mag).ceil() * mag).round() as u64
}

/// Builds the plan. `tick` is called after each simulation (progress).
pub fn plan(
    s: &Scenario,
    spec: &StrategySpec,
    growth: f64,
    months: u32,
    slo: Slo,
    tick: &dyn Fn(),
) -> Result<Plan, String> {
    let current: Vec<(String, PoolLimits)> = s.sim.provider.pools.clone();
    let mut projection = Vec::new();
    for m in 0..=months {
        let factor = (1.0 + growth).powi(m as i32);
        let peaks = peak_demand(&scaled(s, factor))?;
        tick();
        projection.push(Month {
            month: m,
            factor: round(factor, 6),
            pools: current
                .iter()
                .zip(&peaks)
                .map(|((name, l), pk)| PoolMonth {
                    pool: name.clone(),
                    peak_per_min: pk.map(|x| round(x, 3)),
                    utilisation: [0, 1, 2]
                        .map(|d| limit_of(l, d).map(|lim| round(pk[d] / lim as f64, 4))),
                })
                .collect(),
        });
    }
    let mut crossings = Vec::new();
    for (p, (name, _)) in current.iter().enumerate() {
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(&current[p].1, d).is_none() {
                continue;
            }
            for th in THRESHOLDS {
                let month = projection
                    .iter()
                    .find(|m| m.pools[p].utilisation[d].is_some_and(|u| u >= th))
                    .map(|m| m.month);
                crossings.push(Crossing {
                    pool: name.clone(),
                    dimension: dim.to_string(),
                    threshold: th,
                    month,
                });
            }
        }
    }
    let mut targets = Vec::new();
    let mut wanted: Vec<u32> = [6, 12].into_iter().filter(|&m| m <= months).collect();
    if wanted.is_empty() {
        wanted.push(months);
    }
    for month in wanted {
        let factor = (1.0 + growth).powi(month as i32);
        let grown = scaled(s, factor);
        let at_current = Outcome::of(&run_one(&grown, spec)?, &slo);
        tick();
        // The smallest official tier that holds.
        let mut smallest_tier = None;
        for t in ["tier1", "tier2", "tier3", "tier4"] {
            let limits: Option<Vec<PoolLimits>> = current
                .iter()
                .map(|(pool, l)| {
                    catalog::tier_limits(t, pool).map(|tl| PoolLimits {
                        max_concurrent: l.max_concurrent,
                        ..tl
                    })
                })
                .collect();
            let Some(limits) = limits else { continue };
            let r = run_one(&with_limits(&grown, &limits), spec)?;
            tick();
            if slo.holds(&r) {
                smallest_tier = Some(t.to_string());
                break;
            }
        }
        // Explicit limits: k × the month's peak demand in every dimension,
        // with the smallest k (bisection) that keeps the SLO.
        let peaks = &projection[month as usize].pools;
        let limits_for = |k: f64| -> Vec<PoolLimits> {
            current
                .iter()
                .zip(peaks)
                .map(|((_, l), pm)| {
                    let pick = |d: usize| {
                        limit_of(l, d).map(|_| nice_up((pm.peak_per_min[d] * k).max(1.0)))
                    };
                    PoolLimits {
                        rpm: pick(0),
                        itpm: pick(1),
                        otpm: pick(2),
                        tpm: l.tpm.map(|t| nice_up(t as f64 * k.max(1.0))),
                        max_concurrent: l.max_concurrent,
                    }
                })
                .collect()
        };
        let holds = |k: f64| -> Result<bool, String> {
            let r = run_one(&with_limits(&grown, &limits_for(k)), spec)?;
            tick();
            Ok(slo.holds(&r))
        };
        let (mut lo, mut hi) = (0.5, 1.0);
        while !holds(hi)? {
            lo = hi;
            hi *= 2.0;
            if hi > 64.0 {
                return Err(format!(
                    "month {month}: no limits up to 64× peak demand keep the SLO (p99 ≤ {} ms); the SLO may be unreachable for this workload",
                    slo.p99_ms
                ));
            }
        }
        for _ in 0..8 {
            let mid = (lo + hi) / 2.0;
            if holds(mid)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        let limits = limits_for(hi);
        let r = run_one(&with_limits(&grown, &limits), spec)?;
        tick();
        targets.push(Target {
            month,
            at_current,
            smallest_tier,
            requested: current.iter().map(|(n, _)| n.clone()).zip(limits).collect(),
            at_requested: Outcome::of(&r, &slo),
        });
    }
    Ok(Plan {
        schema_version: 1,
        scenario: s.name.clone(),
        strategy: spec.name.clone(),
        growth_per_month: growth,
        months,
        slo,
        current,
        projection,
        crossings,
        targets,
    })
}

/// How many simulations [`plan`] runs at most (for a progress bar).
pub fn budget(months: u32) -> u64 {
    let targets = if months >= 12 { 2 } else { 1 };
    months as u64 + 1 + targets * (1 + 4 + 7 + 8 + 1)
}

/// Parses `15%/month`, `15%`, or `0.15`.
pub fn parse_growth(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let t = t
        .strip_suffix("/month")
        .or_else(|| t.strip_suffix("/mo"))
        .unwrap_or(t);
    crate::gate::parse_fraction(t).map_err(|e| format!("--growth: {e} (e.g. 15%/month)"))
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
    #[arg(long, default_value = "1%", value_parser = crate::gate::parse_fraction)]
    pub slo_429_rate: f64,
    /// SLO: largest share of requests that fail, e.g. `1%`.
    #[arg(long, default_value = "1%", value_parser = crate::gate::parse_fraction)]
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

fn pct(x: Option<f64>) -> String {
    x.map_or("-".into(), |u| format!("{:.0}%", u * 100.0))
}

fn limits_words(l: &PoolLimits) -> String {
    let f = |x: Option<u64>, unit: &str| {
        x.map(|v| format!("{} {unit}", crate::charts::number(v as f64, 0)))
    };
    [
        f(l.rpm, "RPM"),
        f(l.itpm, "ITPM"),
        f(l.otpm, "OTPM"),
        f(l.tpm, "TPM"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

fn crossing_words(p: &Plan, pool: &str, dim: &str, th: f64) -> String {
    p.crossings
        .iter()
        .find(|c| c.pool == pool && c.dimension == dim && c.threshold == th)
        .map_or("-".into(), |c| match c.month {
            Some(0) => "now".into(),
            Some(m) => format!("month {m}"),
            None => format!("> {}", p.months),
        })
}

/// The plan as text.
pub fn to_table(p: &Plan) -> String {
    let mut s = format!(
        "capacity plan for {} ({}): demand +{:.1}%/month for {} months; SLO p99 <= {} ms, 429s <= {:.1}% of attempts, failures <= {:.1}%\n\n",
        p.scenario,
        p.strategy,
        p.growth_per_month * 100.0,
        p.months,
        crate::charts::number(p.slo.p99_ms, 0),
        p.slo.rate_429 * 100.0,
        p.slo.failed_rate * 100.0
    );
    for (i, (pool, l)) in p.current.iter().enumerate() {
        s.push_str(&format!("pool {pool}: {}\n", limits_words(l)));
        s.push_str("  month  factor   peak RPM   peak ITPM   peak OTPM   util rpm  itpm  otpm\n");
        for m in &p.projection {
            let pm = &m.pools[i];
            s.push_str(&format!(
                "  {:>5}  {:>6.2}  {:>9}  {:>10}  {:>10}   {:>8} {:>5} {:>5}\n",
                m.month,
                m.factor,
                crate::charts::number(pm.peak_per_min[0], 0),
                crate::charts::number(pm.peak_per_min[1], 0),
                crate::charts::number(pm.peak_per_min[2], 0),
                pct(pm.utilisation[0]),
                pct(pm.utilisation[1]),
                pct(pm.utilisation[2]),
            ));
        }
        s.push_str("  crossings:\n");
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(l, d).is_none() {
                continue;
            }
            s.push_str(&format!(
                "    {dim:<5} 70%: {:<10} 80%: {:<10} 100%: {}\n",
                crossing_words(p, pool, dim, 0.7),
                crossing_words(p, pool, dim, 0.8),
                crossing_words(p, pool, dim, 1.0)
            ));
        }
        s.push('\n');
    }
    for t in &p.targets {
        s.push_str(&format!("month {}:\n", t.month));
        s.push_str(&format!(
            "  at current limits:   p99 {} ms, {} 429s ({:.1}% of attempts), {} failed — SLO {}\n",
            crate::charts::number(t.at_current.p99_ms, 0),
            t.at_current.rate_limited,
            t.at_current.rate_429 * 100.0,
            t.at_current.failed,
            if t.at_current.slo_met {
                "met"
            } else {
                "MISSED"
            }
        ));
        s.push_str(&format!(
            "  smallest tier that keeps the SLO: {}\n",
            t.smallest_tier.as_deref().unwrap_or("none of tier1-tier4")
        ));
        for (pool, l) in &t.requested {
            s.push_str(&format!("  request for {pool}: {}\n", limits_words(l)));
        }
        s.push_str(&format!(
            "  at requested limits: p99 {} ms, {} 429s ({:.1}%), {} failed — SLO {}\n\n",
            crate::charts::number(t.at_requested.p99_ms, 0),
            t.at_requested.rate_limited,
            t.at_requested.rate_429 * 100.0,
            t.at_requested.failed,
            if t.at_requested.slo_met {
                "met"
            } else {
                "MISSED"
            }
        ));
    }
    s
}

/// The limit-increase request, as Markdown (`request.md`).
pub fn to_markdown(p: &Plan, charts: &[(String, String)]) -> String {
    let mut s = format!("# Rate-limit increase request: {}\n\n", p.scenario);
    s.push_str(&format!(
        "Prepared with ratesim from a simulation of our traffic (strategy `{}`), projected at **{:.1}% growth per month** for {} months. \
Every figure below comes from simulating the workload against Anthropic's limit model; none is a linear extrapolation.\n\n",
        p.strategy,
        p.growth_per_month * 100.0,
        p.months
    ));
    s.push_str("## Current usage as a share of our limits\n\n| pool | limits | peak-minute RPM | ITPM | OTPM |\n|---|---|---:|---:|---:|\n");
    for (i, (pool, l)) in p.current.iter().enumerate() {
        let m0 = &p.projection[0].pools[i];
        s.push_str(&format!(
            "| {pool} | {} | {} | {} | {} |\n",
            limits_words(l),
            pct(m0.utilisation[0]),
            pct(m0.utilisation[1]),
            pct(m0.utilisation[2])
        ));
    }
    s.push_str("\n## Projection\n\n| pool | dimension | reaches 70 % | 80 % | 100 % |\n|---|---|---|---|---|\n");
    for (pool, l) in &p.current {
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(l, d).is_some() {
                s.push_str(&format!(
                    "| {pool} | {dim} | {} | {} | {} |\n",
                    crossing_words(p, pool, dim, 0.7),
                    crossing_words(p, pool, dim, 0.8),
                    crossing_words(p, pool, dim, 1.0)
                ));
            }
        }
    }
    for (file, alt) in charts {
        s.push_str(&format!("\n![{alt}]({file})\n"));
    }
    s.push_str(&format!(
        "\n## Requested limits\n\nOur service level: p99 latency at most {} ms, at most {:.1}% of attempts rate-limited, at most {:.1}% of requests failing.\n\n",
        crate::charts::number(p.slo.p99_ms, 0),
        p.slo.rate_429 * 100.0,
        p.slo.failed_rate * 100.0
    ));
    for t in &p.targets {
        s.push_str(&format!("### In {} months\n\n", t.month));
        for (pool, l) in &t.requested {
            s.push_str(&format!("- **{pool}**: {}\n", limits_words(l)));
        }
        if let Some(tier) = &t.smallest_tier {
            s.push_str(&format!(
                "- (the published `{tier}` limits would also keep the SLO)\n"
            ));
        }
        s.push_str(&format!(
            "\n| | p99 latency | 429s | share of attempts | failed | SLO |\n|---|---:|---:|---:|---:|---|\n\
| current limits | {} ms | {} | {:.1}% | {} | {} |\n| requested limits | {} ms | {} | {:.1}% | {} | {} |\n\n",
            crate::charts::number(t.at_current.p99_ms, 0),
            t.at_current.rate_limited,
            t.at_current.rate_429 * 100.0,
            t.at_current.failed,
            if t.at_current.slo_met { "met" } else { "missed" },
            crate::charts::number(t.at_requested.p99_ms, 0),
            t.at_requested.rate_limited,
            t.at_requested.rate_429 * 100.0,
            t.at_requested.failed,
            if t.at_requested.slo_met { "met" } else { "missed" }
        ));
        s.push_str("Why: the requested limits are the smallest multiple of the month's simulated peak-minute demand (rounded up to two significant figures) that keeps the SLO, found by bisection with the simulator.\n\n");
    }
    s
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
        crate::gate::refuse_overwrite(&refs, args.force)?;
    }
    let bar = crate::gate::progress(budget(args.months), "simulating months");
    let plan = plan(&s, &spec, args.growth, args.months, slo, &|| bar.inc(1))?;
    bar.finish_and_clear();
    let json = crate::report::json::pretty(&plan);
    let charts: Vec<(String, String)> = crate::charts::plan::CHARTS
        .iter()
        .map(|(f, a)| (f.to_string(), a.to_string()))
        .collect();
    if let Some(dir) = &args.out {
        crate::gate::create_dir(dir)?;
        crate::charts::plan::render(dir, &plan)?;
        crate::gate::write_text(&dir.join("request.md"), &to_markdown(&plan, &charts))?;
        crate::gate::write_text(&dir.join("plan.json"), &json)?;
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
