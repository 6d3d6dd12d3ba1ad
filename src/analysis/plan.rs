//! `ratesim plan`: project demand month by month under a growth rate, find
//! when each limit dimension crosses 70 %, 80 % and 100 % (and which one
//! binds first: the earliest 100 % crossing, in a tie the dimension furthest
//! over its limit that month), and search — with the simulator, not a
//! linear guess — for the smallest tier or the explicit limits that keep the
//! SLO at the target months.
//!
//! # The per-dimension search
//!
//! Each limited dimension (RPM, ITPM, OTPM, and TPM on pools that have it)
//! of each pool is searched on its own, and never below today's limit:
//!
//! 1. **Generous start.** Every dimension is set to max(current, g × the
//!    month's peak-minute demand in it), rounded up to two significant
//!    figures, for g = 2, 4, …, 64 — the first g whose run keeps the SLO.
//!    (TPM's demand is input plus output.) If even g = 64 misses, the SLO is
//!    unreachable ([`PlanError::Unreachable`]).
//! 2. **One dimension at a time**, pools in order, then RPM, ITPM, OTPM,
//!    TPM: with the dimensions already searched at their found values and
//!    the rest at their generous ones, run once at today's limit; if the SLO
//!    holds the dimension says **keep**. Otherwise bisect over the candidate
//!    values — today's limit, then every two-significant-figure value above
//!    it up to the generous one — for the smallest that keeps the SLO
//!    (at most 12 runs: there are fewer than 4,096 candidates in a `u64`).
//! 3. One last run at the found limits gives the outcome reported.
//!
//! The bisection assumes more of a limit never hurts; the last run is the
//! judge, and its verdict is what the plan reports. At most
//! `1 + 4 + 6 + 13 × dimensions + 1` runs per target month ([`budget`]).

use std::collections::BTreeMap;

use jiff::civil::DateTime;
use serde::Serialize;

use crate::engine::SimTime;
use crate::metrics::Slo as MetricsSlo;
use crate::model::PoolLimits;
use crate::model::catalog;
use crate::report::StrategyResult;
use crate::scenario::Scenario;
use crate::sim::{self, SimError};
use crate::strategy::{Preset, StrategySpec};
use crate::text::num::round;

/// Why a plan could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// A run could not start (a scenario edited in code).
    #[error(transparent)]
    Sim(#[from] SimError),
    /// Even limits of 64× the month's peak demand miss the SLO: the latency
    /// target is below what the workload's own service times allow, so no
    /// limit increase helps.
    #[error(
        "month {month}: no limits up to 64× peak demand keep the SLO ({slo}); the SLO may be unreachable for this workload — loosen a class's rule or its attainment"
    )]
    Unreachable {
        /// The target month.
        month: u32,
        /// The SLO in words.
        slo: String,
    },
}

/// Utilisation thresholds a plan reports crossings for.
pub const THRESHOLDS: [f64; 3] = [0.7, 0.8, 1.0];

/// The rate-limit dimensions a plan projects.
pub const DIMS: [&str; 3] = ["rpm", "itpm", "otpm"];

/// What the plan must keep: the scenario's SLO rules per class (judged on
/// every logical request, so failures count against it), and optionally a
/// ceiling on the share of attempts answered 429.
#[derive(Clone, Debug)]
pub struct Slo {
    /// Per-class rules and the attainment to hold.
    pub rules: MetricsSlo,
    /// Largest acceptable share of attempts answered 429 (`None`: no
    /// ceiling; 429s that retries absorb in time are the client's business).
    pub max_429_share: Option<f64>,
}

/// Latency every class is held to when the scenario has no `slo:`.
pub const DEFAULT_LATENCY: SimTime = SimTime::from_secs(30);

impl Slo {
    /// The scenario's `slo:`, or every class within [`DEFAULT_LATENCY`] for
    /// the default attainment; no 429 ceiling.
    pub fn of_scenario(s: &Scenario) -> Slo {
        let rules = s.sim.slo.clone().unwrap_or_else(|| MetricsSlo {
            rules: vec![
                Some(crate::metrics::SloRule::Within(DEFAULT_LATENCY));
                s.sim.classes.len()
            ],
            attainment: crate::scenario::DEFAULT_ATTAINMENT,
        });
        Slo {
            rules,
            max_429_share: None,
        }
    }

    /// Whether a result keeps the SLO: every judged class reaches the
    /// attainment (a class with no requests has nothing to miss), and the
    /// 429 share is under its ceiling, if there is one.
    pub fn holds(&self, r: &StrategyResult) -> bool {
        let classes_hold = r.by_class.values().all(|o| match o.slo_attainment {
            Some(Some(a)) => a + 1e-12 >= self.rules.attainment,
            _ => true,
        });
        let t = &r.total;
        classes_hold
            && self
                .max_429_share
                .is_none_or(|m| rate(t.rate_limited.total, t.attempts) <= m)
    }
}

/// The SLO as a plan states it.
#[derive(Clone, Debug, Serialize)]
pub struct SloSpec {
    /// Share of judged requests each class must keep within its rule.
    pub attainment: f64,
    /// Each class's rule in words.
    pub classes: BTreeMap<String, String>,
    /// Ceiling on the share of attempts answered 429, if any.
    pub max_429_share: Option<f64>,
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
    /// tokens, output tokens), measured with no limits in the way: what the
    /// traffic asks for, not what today's limits let through.
    pub peak_per_min: [f64; 3],
    /// Peak demand ÷ the current limit, per dimension (None: unlimited).
    pub utilisation: [Option<f64>; 3],
}

/// One projected month.
#[derive(Clone, Debug, Serialize)]
pub struct Month {
    /// Months from now.
    pub month: u32,
    /// The calendar month (`2027-03`) when the scenario has a `start:`.
    pub calendar: Option<String>,
    /// Demand multiplier (1 + growth)^month.
    pub factor: f64,
    /// List-price cost of a month of this demand, all of it served (the
    /// simulated window scaled to [`MONTH_DAYS`] days).
    pub cost_per_month_usd: f64,
    /// Per pool.
    pub pools: Vec<PoolMonth>,
}

/// Days in the average month, the unit costs are projected in.
pub const MONTH_DAYS: f64 = 365.25 / 12.0;

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
    /// That month in the calendar (`2027-03`), for a dated scenario.
    pub calendar: Option<String>,
}

/// The outcome at a target month under some limits.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Share of judged logical requests that met their class's rule
    /// (failures count as misses); null when nothing was judged.
    pub slo_attainment: Option<f64>,
    /// The same per judged class.
    pub by_class: BTreeMap<String, Option<f64>>,
    /// 429s.
    pub rate_limited: u64,
    /// Share of attempts answered 429.
    pub rate_429: f64,
    /// Failed logical requests.
    pub failed: u64,
    /// Logical requests.
    pub requests: u64,
    /// p99 latency of successes only, ms; `None` (`null`) when nothing
    /// succeeded.
    pub p99_ms: Option<f64>,
    /// List-price cost per month at this volume (the simulated window
    /// scaled to [`MONTH_DAYS`] days).
    pub cost_per_month_usd: f64,
    /// Whether the SLO holds.
    pub slo_met: bool,
}

impl Outcome {
    fn of(r: &StrategyResult, slo: &Slo, month_scale: f64) -> Outcome {
        let t = &r.total;
        Outcome {
            slo_attainment: t.slo_attainment.flatten(),
            by_class: r
                .by_class
                .iter()
                .filter_map(|(c, o)| o.slo_attainment.map(|a| (c.clone(), a)))
                .collect(),
            rate_limited: t.rate_limited.total,
            rate_429: round(rate(t.rate_limited.total, t.attempts), 4),
            failed: t.failed,
            requests: t.requests,
            p99_ms: t.latency_ms.p99,
            cost_per_month_usd: round(t.cost_usd * month_scale, 2),
            slo_met: slo.holds(r),
        }
    }
}

/// Whether a dimension's limit has to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Today's limit keeps the SLO.
    Keep,
    /// The limit has to rise.
    Raise,
}

/// What one dimension of one pool needs at a target month.
#[derive(Clone, Debug, Serialize)]
pub struct DimensionRequest {
    /// Pool.
    pub pool: String,
    /// Dimension (`rpm`, `itpm`, `otpm`, `tpm`).
    pub dimension: String,
    /// Today's limit.
    pub current: u64,
    /// The smallest limit found that keeps the SLO; never below `current`.
    pub requested: u64,
    /// Keep or raise.
    pub change: Change,
    /// requested ÷ current − 1, as a percentage (0 when kept).
    pub increase_pct: f64,
}

/// The dimension whose demand first reaches 100 % of its limit.
#[derive(Clone, Debug, Serialize)]
pub struct Binding {
    /// Pool.
    pub pool: String,
    /// Dimension (`rpm`, `itpm`, `otpm`).
    pub dimension: String,
    /// Month of the crossing (0: already).
    pub month: u32,
    /// That month in the calendar, for a dated scenario.
    pub calendar: Option<String>,
}

/// One published tier tried at a target month.
#[derive(Clone, Debug, Serialize)]
pub struct TierCheck {
    /// Profile name (`tier2`, `build`).
    pub tier: String,
    /// Whether its limits keep the SLO.
    pub slo_met: bool,
    /// SLO attainment under its limits.
    pub slo_attainment: Option<f64>,
    /// Its monthly spend limit, if it has one.
    pub monthly_spend_limit_usd: Option<u64>,
    /// Whether that limit covers the month's projected cost under its
    /// limits (no limit covers anything).
    pub covers_spend: bool,
}

/// What a target month needs.
#[derive(Clone, Debug, Serialize)]
pub struct Target {
    /// Months from now.
    pub month: u32,
    /// That month in the calendar, for a dated scenario.
    pub calendar: Option<String>,
    /// At today's limits.
    pub at_current: Outcome,
    /// Every official tier whose profile has figures for all the scenario's
    /// pools, in catalogue order, under the grown demand.
    pub tiers: Vec<TierCheck>,
    /// The smallest tier of each naming scheme (Usage Tiers 1–4; Start,
    /// Build, Scale) that keeps the SLO.
    pub smallest_tiers: Vec<String>,
    /// Explicit limits per pool that keep the SLO (found by the
    /// per-dimension search; never below today's).
    pub requested: Vec<(String, PoolLimits)>,
    /// The same, dimension by dimension: keep or raise, and by how much.
    pub dimensions: Vec<DimensionRequest>,
    /// At the requested limits.
    pub at_requested: Outcome,
}

/// The monthly spend limit of the scenario's tier against projected cost.
#[derive(Clone, Debug, Serialize)]
pub struct SpendCheck {
    /// The scenario's tier.
    pub tier: String,
    /// Its monthly spend limit, if the catalogue gives one.
    pub monthly_limit_usd: Option<u64>,
    /// Projected cost in month 0 (today's demand, all served).
    pub cost_now_usd: f64,
    /// The first month whose projected cost exceeds the limit (0: already).
    pub binds_month: Option<u32>,
    /// That month in the calendar, for a dated scenario.
    pub binds_calendar: Option<String>,
}

/// The last target's ask under a second bucket size: how much the answer
/// depends on a figure Anthropic does not publish.
#[derive(Clone, Debug, Serialize)]
pub struct Sensitivity {
    /// The scenario's bucket capacity, seconds at the limit.
    pub burst_s: f64,
    /// The alternative tried.
    pub alternative_burst_s: f64,
    /// The target month.
    pub month: u32,
    /// The per-dimension ask under the alternative.
    pub dimensions: Vec<DimensionRequest>,
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
    /// Why that strategy (named on the command line; the best of the
    /// scenario's that keeps the SLO today; or the SDK default).
    pub strategy_reason: String,
    /// The scenario's `start:` date (month 0), if dated.
    pub start: Option<String>,
    /// Monthly growth.
    pub growth_per_month: f64,
    /// Months projected.
    pub months: u32,
    /// The SLO.
    pub slo: SloSpec,
    /// Current limits per pool.
    pub current: Vec<(String, PoolLimits)>,
    /// What the numbers depend on that Anthropic does not publish, or that
    /// ratesim had to choose.
    pub assumptions: Vec<String>,
    /// The date of the limits catalogue used.
    pub catalogue_date: String,
    /// Month by month.
    pub projection: Vec<Month>,
    /// Threshold crossings.
    pub crossings: Vec<Crossing>,
    /// The first 100 % crossing among all pools and dimensions (in a tie,
    /// the dimension with the highest utilisation that month); None if none
    /// within the horizon.
    pub binds_first: Option<Binding>,
    /// Spend against the tier's monthly limit.
    pub spend: SpendCheck,
    /// Target months (6 and 12, within the horizon).
    pub targets: Vec<Target>,
    /// The last target under a second bucket size.
    pub sensitivity: Option<Sensitivity>,
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

/// What a month's traffic asks for with no limits in the way.
pub struct Demand {
    /// Peak-minute demand per pool: requests, ITPM-counted input tokens,
    /// output tokens.
    pub peaks: Vec<[f64; 3]>,
    /// List-price cost of the simulated window, everything served.
    pub cost_usd: f64,
}

/// Peak-minute demand per pool (the run with no limits, a client that
/// sends at once, and windows of one minute over the per-bucket series) and
/// what serving all of it costs.
pub fn demand(s: &Scenario) -> Result<Demand, SimError> {
    let open = with_limits(s, &vec![PoolLimits::default(); s.sim.provider.pools.len()]);
    let mut open = open;
    open.sim.provider.workspaces.clear();
    open.sim.provider.acceleration = None;
    open.sim.provider.overload = Default::default();
    let spec = crate::strategy::Preset::ExponentialBackoff.spec();
    let m = sim::run(&open.sim, &spec)?;
    let cost_usd = StrategyResult::new(&open, &spec, &m).total.cost_usd;
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
    Ok(Demand {
        peaks: out,
        cost_usd,
    })
}

/// Limit `d` (an index into [`DIMS`]) of a pool.
pub fn limit_of(l: &PoolLimits, d: usize) -> Option<u64> {
    [l.rpm, l.itpm, l.otpm][d]
}

/// The dimensions the limit search covers: [`DIMS`] and TPM.
pub const SEARCH_DIMS: [&str; 4] = ["rpm", "itpm", "otpm", "tpm"];

fn searched(l: &PoolLimits) -> [Option<u64>; 4] {
    [l.rpm, l.itpm, l.otpm, l.tpm]
}

fn set_searched(l: &mut PoolLimits, d: usize, v: u64) {
    *[&mut l.rpm, &mut l.itpm, &mut l.otpm, &mut l.tpm][d] = Some(v);
}

/// Runs the bisection of one dimension takes at most: fewer than 4,096
/// two-significant-figure values fit in a `u64`.
const MAX_STEPS: u64 = 12;

/// The smallest value of at most two significant figures that is ≥ `x`
/// (in integers: exact for any `u64`, where [`nice_up`] is not).
fn nice_at_least(x: u64) -> u64 {
    let mut step = 1u64;
    while x / step >= 100 {
        step *= 10;
    }
    x.div_ceil(step).saturating_mul(step)
}

/// Today's value, then every two-significant-figure value above it up to
/// `upper` (and `upper` itself), ascending.
fn candidates(current: u64, upper: u64) -> Vec<u64> {
    let mut out = vec![current];
    let mut x = nice_at_least(current.saturating_add(1));
    while x < upper {
        out.push(x);
        x = nice_at_least(x + 1);
    }
    if upper > current {
        out.push(upper);
    }
    out
}

/// The per-dimension search (step 2 of the module docs): dimension by
/// dimension, the smallest candidate value ≥ `current[d]` for which `holds`
/// is true, with earlier dimensions at their found values and later ones at
/// `upper` (which should hold). `holds` is called at most
/// `1 + 12` times per dimension.
pub fn search_dims<E>(
    current: &[u64],
    upper: &[u64],
    mut holds: impl FnMut(&[u64]) -> Result<bool, E>,
) -> Result<Vec<u64>, E> {
    let mut vals: Vec<u64> = current.iter().zip(upper).map(|(&c, &u)| c.max(u)).collect();
    for d in 0..vals.len() {
        vals[d] = current[d];
        if holds(&vals)? {
            continue;
        }
        let c = candidates(current[d], current[d].max(upper[d]));
        let (mut lo, mut hi) = (0, c.len() - 1);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            vals[d] = c[mid];
            if holds(&vals)? {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        vals[d] = c[hi];
    }
    Ok(vals)
}

fn run_one(s: &Scenario, spec: &StrategySpec) -> Result<StrategyResult, SimError> {
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

/// How the strategy a plan simulates was chosen.
pub enum StrategyChoice<'a> {
    /// Named on the command line.
    Given(&'a StrategySpec),
    /// The scenario's best that keeps the SLO at today's demand and
    /// limits, or the SDK default when none does.
    Best,
}

/// The scenario's strategy with the highest SLO attainment today (then the
/// fewest 429s, then file order) among those that keep the SLO; the SDK's
/// default retry when none does — what a team runs unless it has chosen.
fn choose_strategy(
    s: &Scenario,
    slo: &Slo,
    tick: &dyn Fn(),
) -> Result<(StrategySpec, String), PlanError> {
    let mut best: Option<(f64, u64, &StrategySpec)> = None;
    for spec in &s.strategies {
        let r = run_one(s, spec)?;
        tick();
        if !slo.holds(&r) {
            continue;
        }
        let a = r.total.slo_attainment.flatten().unwrap_or(1.0);
        let n = r.total.rate_limited.total;
        if best.is_none_or(|(ba, bn, _)| a > ba || (a == ba && n < bn)) {
            best = Some((a, n, spec));
        }
    }
    Ok(match best {
        Some((_, _, spec)) => (
            spec.clone(),
            format!(
                "the scenario's strategy with the highest SLO attainment among those that keep the SLO at today's demand and limits (of {})",
                s.strategies.iter().map(|x| x.name.as_str()).collect::<Vec<_>>().join(", ")
            ),
        ),
        None => (
            Preset::SdkDefault.spec(),
            "the official SDKs' default retry (none of the scenario's strategies keeps the SLO at today's demand and limits)".to_string(),
        ),
    })
}

/// `start` + `months` as `YYYY-MM`.
fn calendar(start: Option<DateTime>, months: u32) -> Option<String> {
    let d = start?.date().first_of_month();
    let d = d
        .checked_add(jiff::Span::new().months(months as i64))
        .ok()?;
    Some(format!("{:04}-{:02}", d.year(), d.month()))
}

/// The bucket size the sensitivity run tries: 5 s (a short, strict bucket)
/// unless the scenario already uses 5 s or less, then 60 s.
pub fn alternative_burst(burst: SimTime) -> SimTime {
    if burst > SimTime::from_secs(5) {
        SimTime::from_secs(5)
    } else {
        SimTime::from_secs(60)
    }
}

/// The per-dimension search at one month: returns the found limits per
/// pool and the per-dimension requests.
fn search_limits(
    grown: &Scenario,
    spec: &StrategySpec,
    slo: &Slo,
    month: u32,
    peaks: &[PoolMonth],
    tick: &dyn Fn(),
) -> Result<(Vec<PoolLimits>, Vec<DimensionRequest>), PlanError> {
    let current: &[(String, PoolLimits)] = &grown.sim.provider.pools;
    // (pool, dimension, current, peak demand) of every limited dimension.
    let dims: Vec<(usize, usize, u64, f64)> = current
        .iter()
        .enumerate()
        .flat_map(|(p, (_, l))| {
            let pk = peaks[p].peak_per_min;
            let demand = [pk[0], pk[1], pk[2], pk[1] + pk[2]];
            searched(l)
                .into_iter()
                .enumerate()
                .filter_map(move |(d, c)| c.map(|c| (p, d, c, demand[d])))
        })
        .collect();
    let limits_of = |vals: &[u64]| -> Vec<PoolLimits> {
        let mut out: Vec<PoolLimits> = current.iter().map(|(_, l)| *l).collect();
        for (&(p, d, _, _), &v) in dims.iter().zip(vals) {
            set_searched(&mut out[p], d, v);
        }
        out
    };
    let holds = |vals: &[u64]| -> Result<bool, SimError> {
        let r = run_one(&with_limits(grown, &limits_of(vals)), spec)?;
        tick();
        Ok(slo.holds(&r))
    };
    let cur: Vec<u64> = dims.iter().map(|d| d.2).collect();
    let generous = |g: f64| -> Vec<u64> {
        dims.iter()
            .map(|&(_, _, c, peak)| c.max(nice_up(g * peak)))
            .collect()
    };
    let mut g = 2.0;
    while !holds(&generous(g))? {
        g *= 2.0;
        if g > 64.0 {
            return Err(PlanError::Unreachable {
                month,
                slo: slo_words(grown, slo),
            });
        }
    }
    let found = search_dims(&cur, &generous(g), holds)?;
    let requests = dims
        .iter()
        .zip(&found)
        .map(|(&(p, d, c, _), &v)| DimensionRequest {
            pool: current[p].0.clone(),
            dimension: SEARCH_DIMS[d].to_string(),
            current: c,
            requested: v,
            change: if v > c { Change::Raise } else { Change::Keep },
            increase_pct: if c == 0 {
                0.0
            } else {
                round((v as f64 / c as f64 - 1.0) * 100.0, 1)
            },
        })
        .collect();
    Ok((limits_of(&found), requests))
}

/// The SLO in one line, for errors.
fn slo_words(s: &Scenario, slo: &Slo) -> String {
    let rules: Vec<String> = s
        .sim
        .classes
        .iter()
        .enumerate()
        .filter_map(|(i, c)| slo.rules.rule(i).map(|r| format!("{c} {}", r.describe())))
        .collect();
    format!(
        "{:.1}% of requests: {}",
        slo.rules.attainment * 100.0,
        rules.join("; ")
    )
}

/// The SLO as the plan states it.
fn slo_spec(s: &Scenario, slo: &Slo) -> SloSpec {
    SloSpec {
        attainment: slo.rules.attainment,
        classes: s
            .sim
            .classes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let rule = slo
                    .rules
                    .rule(i)
                    .map_or_else(|| "not judged".to_string(), |r| r.describe());
                (c.clone(), rule)
            })
            .collect(),
        max_429_share: slo.max_429_share,
    }
}

/// Official tiers, catalogue order, that publish limits for every pool.
fn tier_candidates(current: &[(String, PoolLimits)]) -> Vec<(&'static str, Vec<PoolLimits>)> {
    catalog::PROFILES
        .iter()
        .filter(|p| p.official)
        .filter_map(|p| {
            let limits: Option<Vec<PoolLimits>> = current
                .iter()
                .map(|(pool, l)| {
                    catalog::tier_limits(p.name, pool).map(|tl| PoolLimits {
                        max_concurrent: l.max_concurrent,
                        ..tl
                    })
                })
                .collect();
            limits.map(|l| (p.name, l))
        })
        .collect()
}

/// The naming scheme of an official profile: Usage Tiers or Start/Build/Scale.
fn scheme(tier: &str) -> u8 {
    u8::from(!tier.starts_with("tier"))
}

fn monthly_limit(tier: &str) -> Option<u64> {
    catalog::profile(tier).and_then(|p| p.spend.monthly_limit_usd)
}

/// Builds the plan. The scenario must carry the SLO's rules
/// (`s.sim.slo`), so that every run judges its requests. `tick` is called
/// after each simulation (progress).
pub fn plan(
    s: &Scenario,
    choice: StrategyChoice,
    growth: f64,
    months: u32,
    slo: Slo,
    tick: &dyn Fn(),
) -> Result<Plan, PlanError> {
    let mut s = s.clone();
    s.sim.slo = Some(slo.rules.clone());
    let s = &s;
    let (spec, strategy_reason) = match choice {
        StrategyChoice::Given(spec) => (spec.clone(), "named with --strategy".to_string()),
        StrategyChoice::Best => choose_strategy(s, &slo, tick)?,
    };
    let spec = &spec;
    let month_scale = MONTH_DAYS * 24.0 * 3600.0 / s.sim.horizon.as_secs_f64();
    let current: Vec<(String, PoolLimits)> = s.sim.provider.pools.clone();
    let mut projection = Vec::new();
    for m in 0..=months {
        let factor = (1.0 + growth).powi(m as i32);
        let d = demand(&scaled(s, factor))?;
        tick();
        projection.push(Month {
            month: m,
            calendar: calendar(s.start, m),
            factor: round(factor, 6),
            cost_per_month_usd: round(d.cost_usd * month_scale, 2),
            pools: current
                .iter()
                .zip(&d.peaks)
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
                    calendar: month.and_then(|m| calendar(s.start, m)),
                });
            }
        }
    }
    // The earliest 100 % crossing; among crossings in the same month, the
    // dimension furthest over its limit then.
    let util = |c: &Crossing, m: u32| -> f64 {
        let p = current.iter().position(|(n, _)| *n == c.pool).unwrap_or(0);
        let d = DIMS.iter().position(|d| *d == c.dimension).unwrap_or(0);
        projection[m as usize].pools[p].utilisation[d].unwrap_or(0.0)
    };
    let binds_first = crossings
        .iter()
        .filter(|c| c.threshold == 1.0)
        .filter_map(|c| c.month.map(|m| (m, util(c, m), c)))
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(month, _, c)| Binding {
            pool: c.pool.clone(),
            dimension: c.dimension.clone(),
            month,
            calendar: calendar(s.start, month),
        });
    let limit = monthly_limit(&s.tier);
    let binds_month = limit.and_then(|l| {
        projection
            .iter()
            .find(|m| m.cost_per_month_usd > l as f64)
            .map(|m| m.month)
    });
    let spend = SpendCheck {
        tier: s.tier.clone(),
        monthly_limit_usd: limit,
        cost_now_usd: projection[0].cost_per_month_usd,
        binds_month,
        binds_calendar: binds_month.and_then(|m| calendar(s.start, m)),
    };
    let tiers = tier_candidates(&current);
    let mut targets = Vec::new();
    let mut wanted: Vec<u32> = [6, 12].into_iter().filter(|&m| m <= months).collect();
    if wanted.is_empty() {
        wanted.push(months);
    }
    for &month in &wanted {
        let factor = (1.0 + growth).powi(month as i32);
        let grown = scaled(s, factor);
        let at_current = Outcome::of(&run_one(&grown, spec)?, &slo, month_scale);
        tick();
        let mut checks = Vec::new();
        for (t, limits) in &tiers {
            let o = Outcome::of(
                &run_one(&with_limits(&grown, limits), spec)?,
                &slo,
                month_scale,
            );
            tick();
            let cap = monthly_limit(t);
            checks.push(TierCheck {
                tier: t.to_string(),
                slo_met: o.slo_met,
                slo_attainment: o.slo_attainment,
                monthly_spend_limit_usd: cap,
                covers_spend: cap.is_none_or(|c| o.cost_per_month_usd <= c as f64),
            });
        }
        let mut smallest_tiers: Vec<String> = Vec::new();
        for sch in [0, 1] {
            if let Some(c) = checks.iter().find(|c| scheme(&c.tier) == sch && c.slo_met) {
                smallest_tiers.push(c.tier.clone());
            }
        }
        let peaks = &projection[month as usize].pools;
        let (limits, dimensions) = search_limits(&grown, spec, &slo, month, peaks, tick)?;
        let r = run_one(&with_limits(&grown, &limits), spec)?;
        tick();
        targets.push(Target {
            month,
            calendar: calendar(s.start, month),
            at_current,
            tiers: checks,
            smallest_tiers,
            requested: current.iter().map(|(n, _)| n.clone()).zip(limits).collect(),
            dimensions,
            at_requested: Outcome::of(&r, &slo, month_scale),
        });
    }
    // The last target again under a second bucket size.
    let burst = s.sim.provider.limiter.burst;
    let alt = alternative_burst(burst);
    let last = *wanted.last().unwrap_or(&months);
    let mut other = scaled(s, (1.0 + growth).powi(last as i32));
    other.sim.provider.limiter.burst = alt;
    let sensitivity = match search_limits(
        &other,
        spec,
        &slo,
        last,
        &projection[last as usize].pools,
        tick,
    ) {
        Ok((_, dimensions)) => Some(Sensitivity {
            burst_s: burst.as_secs_f64(),
            alternative_burst_s: alt.as_secs_f64(),
            month: last,
            dimensions,
        }),
        // Unreachable under the other bucket: said as no figures.
        Err(PlanError::Unreachable { .. }) => None,
        Err(e) => return Err(e),
    };
    let p = &s.sim.provider;
    let assumptions = vec![
        format!(
            "bucket size: each limit refills continuously into a bucket holding {} s of it (Anthropic does not publish the size; `limiter.burst`); the ask under {} s is shown as a sensitivity",
            burst.as_secs_f64(),
            alt.as_secs_f64()
        ),
        format!(
            "OTPM accounting: {} (`limiter.otpm_accounting`)",
            match p.limiter.otpm_accounting {
                crate::model::OtpmAccounting::Realtime =>
                    "output tokens count as they are generated; max_tokens does not count",
                crate::model::OtpmAccounting::ReserveMaxTokens =>
                    "max_tokens is reserved at admission and the unused part returned",
            }
        ),
        format!("strategy: `{}`, {strategy_reason}", spec.name),
        format!(
            "demand: the simulated {} window is representative of the month; growth multiplies arrivals; peak-minute demand is measured with no limits in the way",
            human_window(s.sim.horizon)
        ),
        format!(
            "cost: list prices ({}), the simulated window scaled to a {MONTH_DAYS:.2}-day month",
            catalog::PRICES_SOURCE
        ),
    ];
    Ok(Plan {
        schema_version: 2,
        scenario: s.name.clone(),
        strategy: spec.name.clone(),
        strategy_reason,
        start: s.start.map(|d| d.date().to_string()),
        growth_per_month: growth,
        months,
        slo: slo_spec(s, &slo),
        current,
        assumptions,
        catalogue_date: catalogue_date(&s.tier),
        projection,
        crossings,
        binds_first,
        spend,
        targets,
        sensitivity,
    })
}

/// The date the scenario's tier was read from Anthropic's pages.
fn catalogue_date(tier: &str) -> String {
    catalog::profile(tier).map_or_else(String::new, |p| p.read.to_string())
}

/// `2 h`, `10 min`, `90 s`.
fn human_window(d: SimTime) -> String {
    let s = d.as_secs_f64();
    if s >= 3600.0 && s % 3600.0 == 0.0 {
        format!("{} h", s / 3600.0)
    } else if s >= 60.0 && s % 60.0 == 0.0 {
        format!("{} min", s / 60.0)
    } else {
        format!("{s} s")
    }
}

/// How many simulations [`plan`] runs at most (for a progress bar), for a
/// scenario with `strategies` strategies to choose from (0 when one is
/// given), `tiers` official tiers and `dims` limited dimensions (RPM, ITPM,
/// OTPM, TPM): the choice, one demand run per month, then per target month
/// 1 at current limits, each tier, 6 generous starts, 1 + 12 per dimension
/// and 1 at the requested limits; and the sensitivity search.
pub fn budget(months: u32, strategies: usize, tiers: usize, dims: usize) -> u64 {
    let targets = if months >= 12 { 2 } else { 1 };
    let search = 6 + dims as u64 * (1 + MAX_STEPS);
    strategies as u64 + months as u64 + 1 + targets * (1 + tiers as u64 + search + 1) + search
}

/// Official tiers the plan tries for this scenario, for [`budget`].
pub fn tier_count(s: &Scenario) -> usize {
    tier_candidates(&s.sim.provider.pools).len()
}

/// The limited dimensions of a scenario's pools, for [`budget`].
pub fn limited_dims(s: &Scenario) -> usize {
    s.sim
        .provider
        .pools
        .iter()
        .map(|(_, l)| searched(l).iter().flatten().count())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_are_current_then_two_significant_figures() {
        assert_eq!(candidates(50, 50), vec![50]);
        assert_eq!(candidates(98, 130), vec![98, 99, 100, 110, 120, 130]);
        assert_eq!(candidates(30_000, 36_000)[..3], [30_000, 31_000, 32_000]);
        assert_eq!(
            candidates(30_500, 33_000),
            vec![30_500, 31_000, 32_000, 33_000]
        );
        assert_eq!(candidates(990, 1_100), vec![990, 1_000, 1_100]);
        let all = candidates(1, u64::MAX / 2);
        assert!(all.len() < 1 << MAX_STEPS, "{}", all.len());
        assert!(all.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn each_dimension_is_searched_alone_and_never_below_current() {
        // Hand-made: the SLO holds when rpm >= 40, itpm >= 35,431 and
        // otpm >= 3,600 — today 50 / 30,000 / 8,000.
        let need = [40, 35_431, 3_600];
        let mut runs = 0;
        let found = search_dims(&[50, 30_000, 8_000], &[71, 71_000, 8_000], |v| {
            runs += 1;
            Ok::<_, ()>(v.iter().zip(need).all(|(&x, n)| x >= n))
        })
        .unwrap();
        // RPM and OTPM keep today's limits (not 40 and 3,600); ITPM rises
        // to the first two-significant-figure value above the need.
        assert_eq!(found, vec![50, 36_000, 8_000]);
        assert!(runs <= 3 * (1 + MAX_STEPS as usize), "{runs}");
    }

    #[test]
    fn nice_up_rounds_to_two_significant_figures() {
        assert_eq!(nice_up(35_431.0), 36_000);
        assert_eq!(nice_up(70.9), 71);
        assert_eq!(nice_up(100.0), 100);
    }
}
