//! Which models and pools the scenario uses, and the limits of each pool:
//! the tier's published limits, then `pools:` overrides; plus the
//! acceleration limit.

use serde_saphyr::Spanned;

use super::known_model;
use crate::engine::SimTime;
use crate::model::catalog::{self, ModelInfo, find_model};
use crate::model::spend::{DEFAULT_START_UNIX_S, unix_midnight};
use crate::model::{
    AccelerationLimit, AdmitWhen, CapacityFloor, LimiterConfig, ModelSpec, OtpmAccounting,
    PoolLimits, SpendLimit, SpendLimitKind,
};
use crate::scenario::raw::{RawAcceleration, RawLimits, RawScenario, RawSpend};
use crate::scenario::trace::{self, ParsedTrace};
use crate::scenario::{Cx, ScenarioError};
use crate::workload::StreamSpec;

/// Models the scenario sends to, their pools, and each stream's trace.
pub(in crate::scenario) struct Used {
    /// In first-appearance order: streams, their traces' rows, the router.
    pub models: Vec<&'static ModelInfo>,
    /// Pools of those models, in the same order.
    pub pool_names: Vec<String>,
    /// One entry per stream: its trace, read now, if it replays one.
    pub traces: Vec<Option<ParsedTrace>>,
}

impl Used {
    fn add(&mut self, m: &'static ModelInfo) {
        if !self.models.iter().any(|x| x.id == m.id) {
            self.models.push(m);
        }
        if !self.pool_names.iter().any(|p| p == m.pool) {
            self.pool_names.push(m.pool.to_string());
        }
    }
}

/// Models used by streams (and by the rows of their traces, read here) and
/// by the router, with their pools.
pub(in crate::scenario) fn used_models(cx: &Cx, raw: &RawScenario) -> Result<Used, ScenarioError> {
    if raw.streams.value.is_empty() {
        return Err(cx.err(
            &raw.streams.referenced,
            "streams is empty: a scenario needs at least one stream",
        ));
    }
    let mut used = Used {
        models: Vec::new(),
        pool_names: Vec::new(),
        traces: Vec::with_capacity(raw.streams.value.len()),
    };
    for s in &raw.streams.value {
        let m = known_model(cx, &s.model, "")?;
        let t = trace::read(cx, s)?;
        used.add(m);
        for m in t.iter().flat_map(|t| t.models()) {
            used.add(m);
        }
        used.traces.push(t);
    }
    for route in raw.router.values() {
        for name in std::iter::once(&route.value.primary).chain(&route.value.fallbacks) {
            used.add(known_model(cx, name, "router: ")?);
        }
    }
    Ok(used)
}

/// Limits from the tier's profile, then `pools:` overrides. A pool the
/// profile publishes nothing for (the unofficial profiles quote Sonnet only)
/// must be set under `pools:`.
pub(in crate::scenario) fn pool_limits(
    cx: &Cx,
    raw: &RawScenario,
    tier: &str,
    pool_names: &[String],
) -> Result<Vec<PoolLimits>, ScenarioError> {
    let mut limits: Vec<PoolLimits> = Vec::with_capacity(pool_names.len());
    for p in pool_names {
        let overridden = raw
            .pools
            .keys()
            .any(|k| find_model(k).map_or(k.as_str(), |m| m.pool) == p);
        match catalog::tier_limits(tier, p) {
            Some(l) => limits.push(l),
            None if overridden => limits.push(PoolLimits::default()),
            None => {
                return Err(cx.err(
                    raw.tier
                        .as_ref()
                        .map_or(&raw.streams.referenced, |t| &t.referenced),
                    format!(
                        "tier `{tier}` publishes no limits for pool `{p}`; \
                         set them under `pools.{p}` or pick another tier"
                    ),
                ));
            }
        }
    }
    for (key, lim) in &raw.pools {
        override_limits(cx, "pools", key, lim, pool_names, &mut limits)?;
    }
    Ok(limits)
}

/// Applies one `pools:`-style override (keyed by pool name or model id).
pub(super) fn override_limits(
    cx: &Cx,
    what: &str,
    key: &str,
    lim: &Spanned<RawLimits>,
    pool_names: &[String],
    limits: &mut [PoolLimits],
) -> Result<(), ScenarioError> {
    let pool = find_model(key).map_or(key, |m| m.pool);
    let Some(i) = pool_names.iter().position(|p| p == pool) else {
        let known = catalog::MODELS.iter().any(|m| m.pool == pool);
        if known {
            return Err(cx.err(
                &lim.referenced,
                format!(
                    "{what}: pool `{key}` is not used by any stream (used: {})",
                    pool_names.join(", ")
                ),
            ));
        }
        let candidates = pool_names
            .iter()
            .map(String::as_str)
            .chain(catalog::model_ids());
        return Err(cx.unknown(
            &lim.referenced,
            key,
            candidates,
            format!(
                "{what}: unknown pool `{key}`, expected a pool ({}) or a model id",
                pool_names.join(", ")
            ),
        ));
    };
    let l = &lim.value;
    let fields = [
        ("rpm", &l.rpm),
        ("itpm", &l.itpm),
        ("otpm", &l.otpm),
        ("tpm", &l.tpm),
        ("max_concurrent", &l.max_concurrent),
    ];
    for (name, v) in fields {
        if let Some(v) = v
            && v.value == 0
        {
            return Err(cx.err(&v.referenced, format!("{what}.{key}.{name} must be > 0")));
        }
    }
    let value = |v: &Option<Spanned<u64>>| v.as_ref().map(|v| v.value);
    let p = &mut limits[i];
    p.rpm = value(&l.rpm).or(p.rpm);
    p.itpm = value(&l.itpm).or(p.itpm);
    p.otpm = value(&l.otpm).or(p.otpm);
    p.tpm = value(&l.tpm).or(p.tpm);
    p.max_concurrent = value(&l.max_concurrent).or(p.max_concurrent);
    Ok(())
}

/// `acceleration:`: the limit on how fast traffic may grow.
pub(in crate::scenario) fn acceleration(
    cx: &Cx,
    a: Option<&Spanned<RawAcceleration>>,
) -> Result<Option<AccelerationLimit>, ScenarioError> {
    let Some(a) = a else {
        return Ok(None);
    };
    let v = &a.value;
    if v.window.0 < SimTime::from_secs(1)
        || v.baseline.0 < SimTime::from_secs(1)
        || !(v.max_ratio.is_finite() && v.max_ratio >= 1.0)
        || v.floor_rpm == 0
    {
        return Err(cx.err(
            &a.referenced,
            "acceleration needs window and baseline >= 1s, max_ratio >= 1 and floor_rpm >= 1",
        ));
    }
    Ok(Some(AccelerationLimit {
        window: v.window.0,
        baseline: v.baseline.0,
        max_ratio: v.max_ratio,
        floor_rpm: v.floor_rpm,
    }))
}

/// The capacity floor of every token dimension: the largest single request
/// the streams send (see [`CapacityFloor`]; unbounded size distributions
/// count at their 99.9th percentile, traces at their largest row).
pub(in crate::scenario) fn capacity_floor(
    streams: &[StreamSpec],
    models: &[ModelSpec],
    limiter: &LimiterConfig,
) -> CapacityFloor {
    let output_need = |max_tokens: u64| match (limiter.otpm_accounting, limiter.admit_when) {
        (OtpmAccounting::Realtime, AdmitWhen::Positive) => 0,
        _ => max_tokens,
    };
    let mut f = CapacityFloor::default();
    let mut add = |itpm: u64, max_tokens: u64| {
        let otpm = output_need(max_tokens);
        f.itpm = f.itpm.max(itpm);
        f.otpm = f.otpm.max(otpm);
        f.tpm = f.tpm.max(itpm + otpm);
    };
    for s in streams {
        let prefix = s.prompt_cache.map_or(0, |c| c.prefix_tokens);
        let max_tokens = s.max_tokens.upper().max(1);
        add(s.input_tokens.upper() + prefix, max_tokens);
        if let Some(t) = &s.trace {
            for r in t.rows() {
                let reads = models
                    .get(r.model as usize)
                    .is_some_and(|m| m.itpm_counts_cache_reads);
                let itpm = r.input_tokens as u64
                    + r.cache_write_tokens as u64
                    + if reads { r.cache_read_tokens as u64 } else { 0 };
                add(itpm, (r.max_tokens as u64).max(max_tokens));
            }
        }
    }
    f
}

/// `spend:` and the tier's monthly cap: the limit the server enforces.
/// The tier's cap applies unless `tier_limit: false`; a lower `limit_usd`
/// the organisation set itself binds first (and is answered with a 400).
pub(in crate::scenario) fn spend(
    cx: &Cx,
    raw: Option<&Spanned<RawSpend>>,
    tier: &str,
    dated: Option<jiff::civil::DateTime>,
) -> Result<Option<SpendLimit>, ScenarioError> {
    let tier_cap = catalog::profile(tier)
        .and_then(|p| p.spend.monthly_limit_usd)
        .map(|c| c as f64);
    // The scenario's `start:` dates the spend months too, unless
    // `spend.start` says otherwise.
    let dated = dated
        .and_then(|d| jiff::tz::Offset::UTC.to_timestamp(d).ok())
        .map(|t| t.as_second());
    let (mut start, mut enforce_tier, mut own) =
        (dated.unwrap_or(DEFAULT_START_UNIX_S), true, None);
    if let Some(r) = raw {
        let v = &r.value;
        if let Some(s) = &v.start {
            start = parse_date(&s.value).ok_or_else(|| {
                cx.err(
                    &s.referenced,
                    format!(
                        "spend.start: expected a date such as 2026-01-15, got `{}`",
                        s.value
                    ),
                )
            })?;
        }
        enforce_tier = v.tier_limit.unwrap_or(true);
        if let Some(l) = &v.limit_usd {
            if !(l.value.is_finite() && l.value > 0.0) {
                return Err(cx.err(&l.referenced, "spend.limit_usd must be > 0"));
            }
            own = Some(l.value);
        }
    }
    let tier_cap = tier_cap.filter(|_| enforce_tier);
    let limit = match (tier_cap, own) {
        (Some(t), Some(o)) if o < t => Some((o, SpendLimitKind::SelfSet)),
        (Some(t), _) => Some((t, SpendLimitKind::Tier)),
        (None, Some(o)) => Some((o, SpendLimitKind::SelfSet)),
        (None, None) => None,
    };
    Ok(limit.map(|(monthly_usd, kind)| SpendLimit {
        monthly_usd,
        kind,
        start_unix_s: start,
    }))
}

/// `YYYY-MM-DD` as the Unix seconds of its UTC midnight.
fn parse_date(s: &str) -> Option<i64> {
    let d: jiff::civil::Date = s.trim().parse().ok()?;
    Some(unix_midnight(
        d.year() as i64,
        d.month() as u32,
        d.day() as u32,
    ))
}
