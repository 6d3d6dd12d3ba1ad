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
    /// Explicit limits per pool that keep the SLO (found by the
    /// per-dimension search; never below today's).
    pub requested: Vec<(String, PoolLimits)>,
    /// The same, dimension by dimension: keep or raise, and by how much.
    pub dimensions: Vec<DimensionRequest>,
    /// At the requested limits.
    pub at_requested: Outcome,
}

/// A whole plan.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Layout version.
    pub schema_version: u32,
    /// The ratesim version and catalogue date that made the plan.
    pub ratesim: crate::report::Provenance,
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
    /// The first 100 % crossing among all pools and dimensions (in a tie,
    /// the dimension with the highest utilisation that month); None if none
    /// within the horizon.
    pub binds_first: Option<Binding>,
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
        });
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
        // Explicit limits, dimension by dimension (module docs).
        let peaks = &projection[month as usize].pools;
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
            let r = run_one(&with_limits(&grown, &limits_of(vals)), spec)?;
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
                    p99_ms: slo.p99_ms,
                });
            }
        }
        let found = search_dims(&cur, &generous(g), holds)?;
        let limits = limits_of(&found);
        let dimensions = dims
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
        let r = run_one(&with_limits(&grown, &limits), spec)?;
        tick();
        targets.push(Target {
            month,
            at_current,
            smallest_tier,
            requested: current.iter().map(|(n, _)| n.clone()).zip(limits).collect(),
            dimensions,
            at_requested: Outcome::of(&r, &slo),
        });
    }
    Ok(Plan {
        schema_version: 1,
        ratesim: crate::report::Provenance::current(),
        scenario: s.name.clone(),
        strategy: spec.name.clone(),
        growth_per_month: growth,
        months,
        slo,
        current,
        projection,
        crossings,
        binds_first,
        targets,
    })
}

/// How many simulations [`plan`] runs at most (for a progress bar), for a
/// scenario whose pools have `dims` limited dimensions (RPM, ITPM, OTPM,
/// TPM) in all: per target month 1 at current limits, 4 tiers, 6 generous
/// starts, 1 + 12 per dimension and 1 at the requested limits.
pub fn budget(months: u32, dims: usize) -> u64 {
    let targets = if months >= 12 { 2 } else { 1 };
    months as u64 + 1 + targets * (1 + 4 + 6 + dims as u64 * (1 + MAX_STEPS) + 1)
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
