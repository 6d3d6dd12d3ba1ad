//! `ratesim plan`: project demand month by month under a growth rate, find
//! when each limit dimension crosses 70 %, 80 % and 100 %, and search — with
//! the simulator, not a linear guess — for the smallest tier or the explicit
//! limits that keep the SLO at the target months.

use serde::Serialize;

use crate::model::PoolLimits;
use crate::model::catalog;
use crate::report::StrategyResult;
use crate::scenario::Scenario;
use crate::sim::{self, SimError};
use crate::strategy::StrategySpec;
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
        "month {month}: no limits up to 64× peak demand keep the SLO (p99 ≤ {p99_ms} ms); the SLO may be unreachable for this workload"
    )]
    Unreachable {
        /// The target month.
        month: u32,
        /// The SLO's p99, ms.
        p99_ms: f64,
    },
}

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
        t.latency_ms.p99.is_none_or(|p99| p99 <= self.p99_ms)
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
    /// p99 latency, ms; `None` (`null`) when nothing succeeded.
    pub p99_ms: Option<f64>,
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
pub fn peak_demand(s: &Scenario) -> Result<Vec<[f64; 3]>, SimError> {
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

/// Limit `d` (an index into [`DIMS`]) of a pool.
pub fn limit_of(l: &PoolLimits, d: usize) -> Option<u64> {
    [l.rpm, l.itpm, l.otpm][d]
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

/// Builds the plan. `tick` is called after each simulation (progress).
pub fn plan(
    s: &Scenario,
    spec: &StrategySpec,
    growth: f64,
    months: u32,
    slo: Slo,
    tick: &dyn Fn(),
) -> Result<Plan, PlanError> {
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
        let holds = |k: f64| -> Result<bool, SimError> {
            let r = run_one(&with_limits(&grown, &limits_for(k)), spec)?;
            tick();
            Ok(slo.holds(&r))
        };
        let (mut lo, mut hi) = (0.5, 1.0);
        while !holds(hi)? {
            lo = hi;
            hi *= 2.0;
            if hi > 64.0 {
                return Err(PlanError::Unreachable {
                    month,
                    p99_ms: slo.p99_ms,
                });
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
