//! `strategies:`: each entry a preset, a preset with overrides, or a
//! composition of layers; omitted, every preset.

use serde_saphyr::{Location, Spanned};

use crate::engine::SimTime;
use crate::model::catalog;
use crate::scenario::raw::{
    RawBalance, RawClients, RawConcurrency, RawCoordination, RawDiscipline, RawJitter, RawOnOutage,
    RawPacing, RawRetry, RawSdkVersion, RawStrategy,
};
use crate::scenario::{Cx, ScenarioError};
use crate::strategy::{
    AimdSpec, Backoff, Balance, BatchOffload, Concurrency, Coordination, FleetSpec, Jitter,
    OnOutage, PacingSpec, Preset, QueueDiscipline, RetryPolicy, SdkVersion, SharedLimiterSpec,
    StrategySpec, sdk,
};

/// Most replicas a fleet may have. Each is a full client whose request map
/// is indexed by the run's request ids, so memory grows with replicas ×
/// requests alive at once (about 100 MB at 1,000 replicas on
/// `fleet-pods.yaml`'s rush); beyond this, model the fleet as fewer, larger
/// replicas.
const MAX_REPLICAS: u32 = 1_000;

/// The strategies to compare, in file order. A strategy that offloads to
/// the Batch API needs Batch limits (`batch` is whether there are any).
pub(in crate::scenario) fn strategies(
    cx: &Cx,
    raw: Option<&Spanned<Vec<Spanned<RawStrategy>>>>,
    tier: &str,
    batch: bool,
) -> Result<Vec<StrategySpec>, ScenarioError> {
    let Some(list) = raw else {
        return Ok(Preset::ALL.iter().map(|p| p.spec()).collect());
    };
    if list.value.is_empty() {
        return Err(cx.err(
            &list.referenced,
            "strategies is empty: list at least one, or omit it to compare all presets",
        ));
    }
    let mut out: Vec<StrategySpec> = Vec::new();
    for s in &list.value {
        let spec = strategy(cx, s)?;
        if out.iter().any(|x| x.name == spec.name) {
            return Err(cx.err(
                &s.referenced,
                format!(
                    "duplicate strategy name `{}`; give each a distinct `name`",
                    spec.name
                ),
            ));
        }
        if spec.batch_offload.is_some() && !batch {
            // At `batch_offload:` when the entry sets it, else at the entry
            // (the preset `batch_offload` sets it).
            let loc = s
                .value
                .batch_offload
                .as_ref()
                .map_or(s.referenced, |b| b.referenced);
            return Err(cx.err(
                &loc,
                format!(
                    "strategy `{}` offloads to the Batch API, but profile `{tier}` publishes \
                     no Batch limits; add a `batch:` block",
                    spec.name
                ),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

fn strategy(cx: &Cx, s: &Spanned<RawStrategy>) -> Result<StrategySpec, ScenarioError> {
    let raw = &s.value;
    let loc = &s.referenced;
    // Each layer's error points at its own key; a bare preset name, which has
    // no position of its own, at the entry.
    let at = |field: &Location| if field.line() == 0 { *loc } else { *field };
    let base = match &raw.preset {
        Some(p) => match Preset::from_name(&p.value) {
            Some(p) => p.spec(),
            None => {
                let names: Vec<_> = Preset::ALL.iter().map(|p| p.name()).collect();
                return Err(cx.unknown(
                    &at(&p.referenced),
                    &p.value,
                    names.iter().copied(),
                    format!(
                        "unknown strategy preset `{}`, expected one of {}",
                        p.value,
                        names.join(", ")
                    ),
                ));
            }
        },
        None => StrategySpec {
            name: String::new(),
            preset: None,
            queue: QueueDiscipline::Fifo,
            concurrency: Concurrency::Unbounded,
            pacing: PacingSpec::None,
            retry: RetryPolicy::Backoff(Backoff::default()),
            retry_budget: None,
            background_reserve: 0.0,
            routing: true,
            batch_offload: None,
            shed_older_than: None,
            fleet: FleetSpec::default(),
            coordination: Coordination::None,
        },
    };
    let name = match (&raw.name, &raw.preset) {
        (Some(n), _) => n.clone(),
        (None, Some(p)) => p.value.clone(),
        (None, None) => {
            return Err(cx.err(
                loc,
                "a strategy needs a `name` (or a `preset` to take the name from)",
            ));
        }
    };
    let mut spec = StrategySpec { name, ..base };
    if let Some(q) = &raw.queue {
        if let Some(d) = q.value.discipline {
            spec.queue = match d {
                RawDiscipline::Fifo => QueueDiscipline::Fifo,
                RawDiscipline::Priority => QueueDiscipline::Priority,
                RawDiscipline::Lifo => QueueDiscipline::Lifo,
            };
        }
        if let Some(shed) = q.value.shed {
            if shed.older_than.0 == SimTime::ZERO {
                return Err(cx.err(&at(&q.referenced), "queue.shed.older_than must be > 0"));
            }
            spec.shed_older_than = Some(shed.older_than.0);
        }
    }
    if let Some(c) = &raw.clients {
        spec.fleet = clients(cx, &at(&c.referenced), &c.value, spec.fleet)?;
    }
    if let Some(c) = &raw.coordination {
        spec.coordination = coordination(cx, &at(&c.referenced), &c.value)?;
    }
    if let Some(c) = &raw.concurrency {
        let loc = &at(&c.referenced);
        spec.concurrency = match c.value {
            RawConcurrency::Unbounded => Concurrency::Unbounded,
            RawConcurrency::Fixed(0) => return Err(cx.err(loc, "concurrency.fixed must be >= 1")),
            RawConcurrency::Fixed(n) => Concurrency::Fixed(n),
            RawConcurrency::Aimd {
                initial,
                min,
                max,
                backoff_ratio,
            } => {
                let prev = match spec.concurrency {
                    Concurrency::Aimd(a) => a,
                    _ => AimdSpec::default(),
                };
                let a = prev.merge(initial, min, max, backoff_ratio);
                Concurrency::Aimd(a.map_err(|e| cx.err(loc, e.to_string()))?)
            }
        };
    }
    if let Some(p) = &raw.pacing {
        let loc = &at(&p.referenced);
        spec.pacing = match &p.value {
            RawPacing::None => PacingSpec::None,
            RawPacing::TokenBucket { fraction } => {
                let prev = match spec.pacing {
                    PacingSpec::TokenBucket { fraction } => fraction,
                    _ => 0.8,
                };
                let f = fraction.unwrap_or(prev);
                if !(f > 0.0 && f <= 1.0) {
                    return Err(cx.err(
                        loc,
                        format!("pacing.token_bucket.fraction must be in (0, 1], got {f}"),
                    ));
                }
                PacingSpec::TokenBucket { fraction: f }
            }
            RawPacing::HeaderDriven { safety_tokens } => {
                let prev = match spec.pacing {
                    PacingSpec::HeaderDriven { safety_tokens } => safety_tokens,
                    _ => 500,
                };
                PacingSpec::HeaderDriven {
                    safety_tokens: safety_tokens.unwrap_or(prev),
                }
            }
            RawPacing::AdaptiveThrottle { k, window } => {
                PacingSpec::adaptive_throttle(spec.pacing, *k, window.map(|d| d.0))
                    .map_err(|e| cx.err(loc, e.to_string()))?
            }
        };
    }
    if let Some(r) = &raw.retry {
        spec.retry = retry(cx, &at(&r.referenced), &r.value, spec.retry)?;
    }
    if let Some(b) = &raw.retry_budget {
        let loc = &at(&b.referenced);
        let b = &b.value;
        let prev = spec.retry_budget.unwrap_or_default();
        let merged = prev.merge(b.ratio, b.min_per_s, b.ttl.map(|d| d.0));
        spec.retry_budget = Some(merged.map_err(|e| cx.err(loc, e.to_string()))?);
    }
    if let Some(r) = raw.routing {
        spec.routing = r;
    }
    if let Some(b) = &raw.batch_offload {
        let loc = &at(&b.referenced);
        let b = &b.value;
        let d = spec.batch_offload.unwrap_or_default();
        let o = BatchOffload {
            from_class: b.from_class.unwrap_or(d.from_class),
            max_batch_requests: b.max_batch_requests.unwrap_or(d.max_batch_requests),
            flush_every: b.flush_every.map_or(d.flush_every, |f| f.0),
        };
        if o.max_batch_requests == 0
            || o.max_batch_requests > catalog::BATCH_MAX_REQUESTS
            || o.flush_every == SimTime::ZERO
        {
            return Err(cx.err(
                loc,
                format!(
                    "batch_offload needs 1..={} max_batch_requests and flush_every > 0",
                    catalog::BATCH_MAX_REQUESTS
                ),
            ));
        }
        spec.batch_offload = Some(o);
    }
    if let Some(b) = &raw.background_reserve {
        let (loc, b) = (&at(&b.referenced), b.value);
        if !(0.0..1.0).contains(&b) {
            return Err(cx.err(
                loc,
                format!("background_reserve must be in [0, 1), got {b}"),
            ));
        }
        spec.background_reserve = b;
    }
    Ok(spec)
}

/// `clients:`: how many replicas, how work reaches them, whether limits
/// are per fleet.
fn clients(
    cx: &Cx,
    loc: &Location,
    c: &RawClients,
    prev: FleetSpec,
) -> Result<FleetSpec, ScenarioError> {
    let replicas = match &c.replicas {
        Some(r) if r.value == 0 || r.value > MAX_REPLICAS => {
            let at = if r.referenced.line() == 0 {
                *loc
            } else {
                r.referenced
            };
            return Err(cx.err(
                &at,
                format!(
                    "clients.replicas must be in 1..={MAX_REPLICAS}, got {}",
                    r.value
                ),
            ));
        }
        Some(r) => r.value,
        None => prev.replicas,
    };
    Ok(FleetSpec {
        replicas,
        balance: c.balance.map_or(prev.balance, |b| match b {
            RawBalance::RoundRobin => Balance::RoundRobin,
            RawBalance::Random => Balance::Random,
            RawBalance::LeastLoaded => Balance::LeastLoaded,
        }),
        per_fleet: c.per_fleet.unwrap_or(prev.per_fleet),
    })
}

/// `coordination:`: none, or a shared limiter with its round trip, share
/// of the limits and outage windows.
fn coordination(
    cx: &Cx,
    loc: &Location,
    c: &RawCoordination,
) -> Result<Coordination, ScenarioError> {
    let RawCoordination::SharedLimiter(l) = c else {
        return Ok(Coordination::None);
    };
    let fraction = match &l.fraction {
        Some(f) if !(f.value > 0.0 && f.value <= 1.0) => {
            let at = if f.referenced.line() == 0 {
                *loc
            } else {
                f.referenced
            };
            return Err(cx.err(
                &at,
                format!(
                    "coordination.shared_limiter.fraction must be in (0, 1], got {}",
                    f.value
                ),
            ));
        }
        Some(f) => f.value,
        None => 0.9,
    };
    let mut outages = Vec::with_capacity(l.outage.len());
    for w in &l.outage {
        if w.value.end.0 <= w.value.start.0 {
            let at = if w.referenced.line() == 0 {
                *loc
            } else {
                w.referenced
            };
            return Err(cx.err(&at, "an outage window needs end > start"));
        }
        outages.push((w.value.start.0, w.value.end.0));
    }
    Ok(Coordination::SharedLimiter(SharedLimiterSpec {
        rtt: l.rtt.map_or(SimTime::from_millis(2), |d| d.0),
        fraction,
        outages,
        on_outage: match l.on_outage {
            None | Some(RawOnOutage::FailOpen) => OnOutage::FailOpen,
            Some(RawOnOutage::FailClosed) => OnOutage::FailClosed,
        },
    }))
}

/// Merges a retry override into the preset's policy, field by field when the
/// kind is the same.
fn retry(
    cx: &Cx,
    loc: &Location,
    r: &RawRetry,
    prev: RetryPolicy,
) -> Result<RetryPolicy, ScenarioError> {
    Ok(match r {
        RawRetry::None => RetryPolicy::None,
        RawRetry::Immediate { max_retries } => RetryPolicy::FixedDelay {
            delay: SimTime::ZERO,
            max_retries: max_retries.unwrap_or(prev.max_retries().max(1)),
            honor_retry_after: false,
        },
        RawRetry::FixedDelay {
            delay,
            max_retries,
            honor_retry_after,
        } => {
            let (d0, m0, h0) = match prev {
                RetryPolicy::FixedDelay {
                    delay,
                    max_retries,
                    honor_retry_after,
                } => (delay, max_retries, honor_retry_after),
                _ => (SimTime::ZERO, 10, false),
            };
            RetryPolicy::FixedDelay {
                delay: delay.map_or(d0, |d| d.0),
                max_retries: max_retries.unwrap_or(m0),
                honor_retry_after: honor_retry_after.unwrap_or(h0),
            }
        }
        RawRetry::Backoff {
            base,
            cap,
            max_retries,
            jitter,
            honor_retry_after,
        } => {
            let b0 = match prev {
                RetryPolicy::Backoff(b) => b,
                _ => Backoff::default(),
            };
            let b = Backoff {
                base: base.map_or(b0.base, |d| d.0),
                cap: cap.map_or(b0.cap, |d| d.0),
                max_retries: max_retries.unwrap_or(b0.max_retries),
                jitter: jitter.map_or(b0.jitter, |j| match j {
                    RawJitter::None => Jitter::None,
                    RawJitter::Full => Jitter::Full,
                    RawJitter::Equal => Jitter::Equal,
                    RawJitter::Decorrelated => Jitter::Decorrelated,
                }),
                honor_retry_after: honor_retry_after.unwrap_or(b0.honor_retry_after),
            };
            if b.base == SimTime::ZERO || b.cap < b.base {
                return Err(cx.err(loc, "retry.backoff needs base > 0 and cap >= base"));
            }
            RetryPolicy::Backoff(b)
        }
        RawRetry::SdkDefault {
            max_retries,
            version,
        } => {
            let (m0, v0) = match prev {
                RetryPolicy::SdkDefault {
                    max_retries,
                    version,
                } => (max_retries, version),
                _ => (sdk::DEFAULT_MAX_RETRIES, SdkVersion::Current),
            };
            RetryPolicy::SdkDefault {
                max_retries: max_retries.unwrap_or(m0),
                version: version.map_or(v0, |v| match v {
                    RawSdkVersion::Current => SdkVersion::Current,
                    RawSdkVersion::Legacy => SdkVersion::Legacy,
                }),
            }
        }
    })
}
