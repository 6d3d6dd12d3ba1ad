//! What a plan is made of: the SLO it holds, the month-by-month
//! projection, the crossings, and what each target month needs.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::SimTime;
use crate::metrics::Slo as MetricsSlo;
use crate::model::PoolLimits;
use crate::report::StrategyResult;
use crate::scenario::Scenario;
use crate::text::num::round;

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
    pub(super) fn of(r: &StrategyResult, slo: &Slo, month_scale: f64) -> Outcome {
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

/// A stream whose request count is an estimate (`trace_options.requests`
/// with a `requests_range`, as `ratesim import usage-report` writes).
#[derive(Clone, Debug, Serialize)]
pub struct EstimatedStream {
    /// Stream name.
    pub stream: String,
    /// Requests per recorded row, as the scenario has it.
    pub requests: f64,
    /// The range it is only an estimate within.
    pub range: [f64; 2],
}

/// The projection again with every estimated stream at one end of its range.
#[derive(Clone, Debug, Serialize)]
pub struct SpreadEnd {
    /// `low` or `high`.
    pub end: String,
    /// Peak-minute demand per pool today (requests, ITPM-counted input,
    /// output).
    pub peak_now: Vec<[f64; 3]>,
    /// Threshold crossings, as in [`Plan::crossings`].
    pub crossings: Vec<Crossing>,
    /// The first 100 % crossing, as in [`Plan::binds_first`].
    pub binds_first: Option<Binding>,
}

/// How the projection moves across the request-count estimate: the same
/// tokens cut into fewer or more requests. RPM moves with it; the token
/// dimensions move only as far as burstiness does.
#[derive(Clone, Debug, Serialize)]
pub struct RequestSpread {
    /// The estimated streams.
    pub streams: Vec<EstimatedStream>,
    /// Every estimated stream at the low end, then at the high end.
    pub ends: Vec<SpreadEnd>,
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
    /// The projection across the request-count estimate, when the
    /// scenario has one (usage-report imports).
    pub request_estimate: Option<RequestSpread>,
}
