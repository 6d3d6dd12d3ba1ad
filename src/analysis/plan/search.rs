//! The simulations a plan is built from: demand with no limits in the way,
//! and the per-dimension search for the smallest limits that keep the SLO
//! (the module docs of [`super`] describe it).

use crate::model::PoolLimits;
use crate::report::StrategyResult;
use crate::scenario::Scenario;
use crate::sim::{self, SimError};
use crate::strategy::StrategySpec;
use crate::text::num::round;

use super::{Change, DimensionRequest, PlanError, PoolMonth, Slo, slo_words};

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

pub(super) fn with_limits(s: &Scenario, limits: &[PoolLimits]) -> Scenario {
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

pub(super) fn searched(l: &PoolLimits) -> [Option<u64>; 4] {
    [l.rpm, l.itpm, l.otpm, l.tpm]
}

fn set_searched(l: &mut PoolLimits, d: usize, v: u64) {
    *[&mut l.rpm, &mut l.itpm, &mut l.otpm, &mut l.tpm][d] = Some(v);
}

/// Runs the bisection of one dimension takes at most: fewer than 4,096
/// two-significant-figure values fit in a `u64`.
pub(super) const MAX_STEPS: u64 = 12;

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

pub(super) fn run_one(s: &Scenario, spec: &StrategySpec) -> Result<StrategyResult, SimError> {
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

/// The per-dimension search at one month: returns the found limits per
/// pool and the per-dimension requests.
pub(super) fn search_limits(
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
