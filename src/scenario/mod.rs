//! Scenario files: YAML in, a validated [`Scenario`] out.
//!
//! Parsing happens in two passes: serde-saphyr turns the text into the raw
//! types of [`raw`] (catching unknown fields, wrong types, malformed YAML),
//! then [`Scenario::from_raw`] checks meaning (positive rates, known models
//! and presets) using the locations the raw types kept.

mod error;
#[allow(missing_docs)]
pub mod raw;
mod trace;

use std::path::Path;

use serde_saphyr::{Location, Spanned};

pub use error::ScenarioError;
pub(crate) use error::read_text;
use raw::*;
pub use trace::parse_trace;

use crate::assertions::Assertion;
use crate::engine::SimTime;
use crate::model::catalog::{self, find_model};
use crate::model::{
    AccelerationLimit, BatchConfig, CacheTtl, Latency, LimiterConfig, ModelSpec, Overload,
    OverloadEpisodes, OverloadWindow, PoolLimits, ProviderConfig, WorkspaceSpec,
};
use crate::sim::SimConfig;
use crate::strategy::{
    AimdSpec, Backoff, BatchOffload, Concurrency, Jitter, PacingSpec, Preset, QueueDiscipline,
    RetryPolicy, Route, Router, SdkVersion, StrategySpec, sdk,
};
use crate::workload::{
    ArrivalProcess, MAX_TOKENS, Popularity, PromptCache, Spike, StreamSpec, TokenDist,
};

/// A validated scenario, ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Free-text description.
    pub description: Option<String>,
    /// The tier whose limits were the starting point.
    pub tier: String,
    /// Pool names, by pool index.
    pub pool_names: Vec<String>,
    /// Everything the simulator needs.
    pub sim: SimConfig,
    /// Strategies to compare, in file order.
    pub strategies: Vec<StrategySpec>,
    /// Checks from the `assert:` block, for gating.
    pub assertions: Vec<Assertion>,
}

/// Default random seed when the scenario gives none.
pub const DEFAULT_SEED: u64 = 1;

impl Scenario {
    /// Reads and validates a scenario file.
    pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = read_text(path, "scenario")?;
        Scenario::from_yaml_str(&path.display().to_string(), &text)
    }

    /// Parses and validates scenario text; `file` names it in errors.
    pub fn from_yaml_str(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
        if text.trim().is_empty() {
            return Err(ScenarioError::whole_file(
                file,
                "scenario is empty: expected a YAML mapping with name, duration and streams",
            ));
        }
        let raw: RawScenario =
            serde_saphyr::from_str(text).map_err(|e| ScenarioError::from_yaml(file, text, &e))?;
        let cx = Cx { file, text };
        Scenario::from_raw(&cx, raw)
    }

    fn from_raw(cx: &Cx, raw: RawScenario) -> Result<Scenario, ScenarioError> {
        let horizon = raw.duration.value.0;
        if horizon == SimTime::ZERO || horizon > MAX_DURATION {
            return Err(cx.err(
                &raw.duration.referenced,
                "duration must be > 0 and at most 366 days",
            ));
        }
        let drain = raw.drain.map_or(SimTime::from_secs(600), |d| d.0);
        let tier = match &raw.tier {
            Some(t) if catalog::profile(&t.value).is_some() => t.value.clone(),
            Some(t) => {
                return Err(cx.err(
                    &t.referenced,
                    format!(
                        "unknown tier `{}`, expected one of {}",
                        t.value,
                        catalog::profile_names().join(", ")
                    ),
                ));
            }
            None => "tier1".to_string(),
        };

        let mut limiter = LimiterConfig::default();
        if let Some(l) = &raw.limiter {
            if let Some(a) = l.algorithm {
                limiter.algorithm = a;
            }
            if let Some(b) = &l.burst {
                if b.value.0 == SimTime::ZERO {
                    return Err(cx.err(&b.referenced, "limiter.burst must be > 0"));
                }
                limiter.burst = b.value.0;
            }
            if let Some(o) = l.otpm_accounting {
                limiter.otpm_accounting = o;
            }
        }

        // Models used by streams, in first-appearance order, and their pools.
        let streams_loc = raw.streams.referenced;
        if raw.streams.value.is_empty() {
            return Err(cx.err(
                &streams_loc,
                "streams is empty: a scenario needs at least one stream",
            ));
        }
        let mut models: Vec<&'static catalog::ModelInfo> = Vec::new();
        let mut pool_names: Vec<String> = Vec::new();
        // Usage traces, read now: the models their rows name join the list.
        let mut traces = Vec::with_capacity(raw.streams.value.len());
        for s in &raw.streams.value {
            let m = known_model(cx, &s.model, "")?;
            let t = trace::read(cx, s)?;
            for m in std::iter::once(m).chain(t.iter().flat_map(|t| t.models())) {
                if !models.iter().any(|x| x.id == m.id) {
                    models.push(m);
                }
                if !pool_names.iter().any(|p| p == m.pool) {
                    pool_names.push(m.pool.to_string());
                }
            }
            traces.push(t);
        }
        // Models the router may send to join the list (and bring their pools).
        for route in raw.router.values() {
            for name in std::iter::once(&route.value.primary).chain(&route.value.fallbacks) {
                let m = known_model(cx, name, "router: ")?;
                if !models.iter().any(|x| x.id == m.id) {
                    models.push(m);
                }
                if !pool_names.iter().any(|p| p == m.pool) {
                    pool_names.push(m.pool.to_string());
                }
            }
        }

        // Limits from the tier's profile; a pool it publishes nothing for (the
        // unofficial profiles quote Sonnet only) must be set under `pools:`.
        let mut pool_limits: Vec<PoolLimits> = Vec::with_capacity(pool_names.len());
        for p in &pool_names {
            let overridden = raw
                .pools
                .keys()
                .any(|k| find_model(k).map_or(k.as_str(), |m| m.pool) == p);
            match catalog::tier_limits(&tier, p) {
                Some(l) => pool_limits.push(l),
                None if overridden => pool_limits.push(PoolLimits::default()),
                None => {
                    return Err(cx.err(
                        raw.tier.as_ref().map_or(&streams_loc, |t| &t.referenced),
                        format!(
                            "tier `{tier}` publishes no limits for pool `{p}`; \
                             set them under `pools.{p}` or pick another tier"
                        ),
                    ));
                }
            }
        }
        for (key, lim) in &raw.pools {
            override_limits(cx, "pools", key, lim, &pool_names, &mut pool_limits)?;
        }

        // Workspaces: their own caps, unlimited unless set.
        let mut workspaces: Vec<WorkspaceSpec> = Vec::new();
        let mut workspace_names = std::collections::BTreeSet::new();
        for w in &raw.workspaces {
            // The simulator numbers clients (one per workspace, plus the
            // default) with a u16.
            if workspaces.len() >= MAX_WORKSPACES {
                return Err(cx.err(
                    &w.referenced,
                    format!("too many workspaces (at most {MAX_WORKSPACES})"),
                ));
            }
            if !workspace_names.insert(w.value.name.as_str()) {
                return Err(cx.err(
                    &w.referenced,
                    format!("duplicate workspace `{}`", w.value.name),
                ));
            }
            let mut limits = vec![PoolLimits::default(); pool_names.len()];
            let what = format!("workspaces.{}.limits", w.value.name);
            for (key, lim) in &w.value.limits {
                override_limits(cx, &what, key, lim, &pool_names, &mut limits)?;
            }
            workspaces.push(WorkspaceSpec {
                name: w.value.name.clone(),
                limits,
            });
        }
        let acceleration = match &raw.acceleration {
            None => None,
            Some(a) => {
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
                Some(AccelerationLimit {
                    window: v.window.0,
                    baseline: v.baseline.0,
                    max_ratio: v.max_ratio,
                    floor_rpm: v.floor_rpm,
                })
            }
        };

        // The Batch API: the profile's limits, overridable.
        let batch = batch_config(cx, &tier, raw.batch.as_ref())?;

        // Latency.
        let mut network_rtt = SimTime::from_millis(50);
        let mut noise_sigma = 0.0;
        let mut model_specs: Vec<ModelSpec> = models
            .iter()
            .map(|m| ModelSpec {
                id: m.id.to_string(),
                pool: pool_names.iter().position(|p| p == m.pool).unwrap_or(0),
                prices: m.prices,
                itpm_counts_cache_reads: m.itpm_counts_cache_reads,
                latency: Latency {
                    ttft: SimTime::from_secs_f64(m.ttft_s),
                    output_tokens_per_s: m.output_tokens_per_s,
                },
                min_cacheable_tokens: m.min_cacheable_tokens,
            })
            .collect();
        if let Some(l) = &raw.latency {
            if let Some(r) = l.network_rtt {
                network_rtt = r.0;
            }
            if let Some(s) = &l.noise_sigma {
                if !(s.value.is_finite() && s.value >= 0.0) {
                    return Err(cx.err(&s.referenced, "latency.noise_sigma must be >= 0"));
                }
                noise_sigma = s.value;
            }
            for (id, ml) in &l.models {
                let Some(spec) =
                    find_model(id).and_then(|m| model_specs.iter_mut().find(|s| s.id == m.id))
                else {
                    return Err(cx.err(
                        &ml.referenced,
                        format!("latency.models: `{id}` is not a model used by any stream"),
                    ));
                };
                if let Some(t) = ml.value.ttft {
                    spec.latency.ttft = t.0;
                }
                if let Some(v) = ml.value.output_tokens_per_s {
                    if !(v.is_finite() && v > 0.0) {
                        return Err(cx.err(&ml.referenced, "output_tokens_per_s must be > 0"));
                    }
                    spec.latency.output_tokens_per_s = v;
                }
            }
        }

        // Overload.
        let mut overload = Overload::default();
        if let Some(o) = &raw.overload {
            if let Some(p) = &o.probability {
                check_probability(cx, p.value, &p.referenced, "overload.probability")?;
                overload.probability = p.value;
            }
            if let Some(e) = &o.episodes {
                check_probability(
                    cx,
                    e.value.probability,
                    &e.referenced,
                    "overload.episodes.probability",
                )?;
                if e.value.mean_interval.0 == SimTime::ZERO
                    || e.value.mean_duration.0 == SimTime::ZERO
                {
                    return Err(cx.err(
                        &e.referenced,
                        "overload.episodes: mean_interval and mean_duration must be > 0",
                    ));
                }
                overload.episodes = Some(OverloadEpisodes {
                    mean_interval: e.value.mean_interval.0,
                    mean_duration: e.value.mean_duration.0,
                    probability: e.value.probability,
                });
            }
            for w in &o.windows {
                check_probability(
                    cx,
                    w.value.probability,
                    &w.referenced,
                    "overload window probability",
                )?;
                if w.value.end.0 <= w.value.start.0 {
                    return Err(cx.err(&w.referenced, "overload window must end after it starts"));
                }
                overload.windows.push(OverloadWindow {
                    start: w.value.start.0,
                    end: w.value.end.0,
                    probability: w.value.probability,
                });
            }
        }

        // Classes.
        let mut classes: Vec<String> = raw.classes.clone().unwrap_or_default();
        let explicit_classes = raw.classes.is_some();
        let mut streams = Vec::new();
        for s in &raw.streams.value {
            let class = s.class.clone().unwrap_or_else(|| "default".to_string());
            let class_idx = match classes.iter().position(|c| *c == class) {
                Some(i) => i,
                None if explicit_classes => {
                    return Err(cx.err(
                        &s.name.referenced,
                        format!(
                            "class `{class}` is not listed in `classes` ({})",
                            classes.join(", ")
                        ),
                    ));
                }
                None => {
                    classes.push(class);
                    classes.len() - 1
                }
            };
            if streams.iter().any(|x: &StreamSpec| x.name == s.name.value) {
                return Err(cx.err(
                    &s.name.referenced,
                    format!("duplicate stream name `{}`", s.name.value),
                ));
            }
            let workspace = match &s.workspace {
                None => None,
                Some(w) => match workspaces.iter().position(|x| x.name == w.value) {
                    Some(i) => Some(i as u16),
                    None => {
                        return Err(cx.err(
                            &w.referenced,
                            format!(
                                "unknown workspace `{}`; declare it under `workspaces`",
                                w.value
                            ),
                        ));
                    }
                },
            };
            let model = known_model(cx, &s.model, "")?;
            let model_idx = model_specs
                .iter()
                .position(|m| m.id == model.id)
                .unwrap_or(0);
            let arrivals = match &s.arrivals {
                None => ArrivalProcess::None,
                Some(a) => arrivals(cx, a)?,
            };
            if matches!(arrivals, ArrivalProcess::None) && s.spikes.is_empty() && s.trace.is_none()
            {
                return Err(cx.err(
                    &s.name.referenced,
                    format!("stream `{}` has neither arrivals nor spikes", s.name.value),
                ));
            }
            let mut spikes = Vec::new();
            for sp in &s.spikes {
                if sp.value.count > MAX_SPIKE_COUNT {
                    return Err(cx.err(
                        &sp.referenced,
                        format!(
                            "spikes: count must be at most {MAX_SPIKE_COUNT} requests, got {}",
                            sp.value.count
                        ),
                    ));
                }
                spikes.push(Spike {
                    at: sp.value.at.0,
                    count: sp.value.count,
                    over: sp.value.over.map_or(SimTime::ZERO, |d| d.0),
                });
            }
            let prompt_cache = match &s.prompt_cache {
                None => None,
                Some(c) => Some(prompt_cache(cx, &c.value)?),
            };
            let max_tokens = match &s.max_tokens {
                Some(t) => tokens(cx, t)?,
                None => TokenDist::Constant(4096),
            };
            streams.push(StreamSpec {
                name: s.name.value.clone(),
                model: model_idx as u16,
                class: class_idx as u8,
                arrivals,
                spikes,
                // A trace stream has no size distributions (checked in
                // `trace::read`): its rows carry the sizes.
                input_tokens: match &s.input_tokens {
                    Some(t) => tokens(cx, t)?,
                    None => TokenDist::Constant(0),
                },
                output_tokens: match &s.output_tokens {
                    Some(t) => tokens(cx, t)?,
                    None => TokenDist::Constant(0),
                },
                max_tokens,
                prompt_cache,
                deadline: s.deadline.map(|d| d.0),
                workspace,
                batch: matches!(s.api, Some(RawApi::Batch)),
                trace: None,
            });
        }
        if classes.len() > u8::MAX as usize {
            return Err(cx.err(&streams_loc, "too many classes (at most 255)"));
        }
        // The simulator numbers streams with a u16.
        if streams.len() > u16::MAX as usize {
            return Err(cx.err(
                &streams_loc,
                format!("too many streams (at most {})", u16::MAX),
            ));
        }
        // Traces' models and classes become the scenario's indices.
        for (spec, t) in streams.iter_mut().zip(traces) {
            if let Some(t) = t {
                spec.trace = Some(trace::resolve(
                    t,
                    spec.model,
                    spec.class,
                    &model_specs,
                    &classes,
                )?);
            }
        }
        let mut router = Router {
            routes: vec![None; classes.len()],
        };
        for (class, route) in &raw.router {
            let Some(i) = classes.iter().position(|c| c == class) else {
                return Err(cx.err(
                    &route.referenced,
                    format!(
                        "router: no stream has class `{class}` (classes: {})",
                        classes.join(", ")
                    ),
                ));
            };
            let index = |name: &Spanned<String>| {
                let m = known_model(cx, name, "router: ")?;
                Ok::<u16, ScenarioError>(
                    model_specs.iter().position(|s| s.id == m.id).unwrap_or(0) as u16
                )
            };
            let r = &route.value;
            let mut models = vec![index(&r.primary)?];
            for f in &r.fallbacks {
                let m = index(f)?;
                if models.contains(&m) {
                    return Err(cx.err(
                        &f.referenced,
                        format!("router: `{}` is listed twice for class `{class}`", f.value),
                    ));
                }
                models.push(m);
            }
            router.routes[i] = Some(Route {
                models,
                on_429: r.on_429.unwrap_or(true),
                on_529: r.on_529.unwrap_or(true),
                spill_over: r.spill_over.unwrap_or(false),
            });
        }

        let strategies = match &raw.strategies {
            None => Preset::ALL.iter().map(|p| p.spec()).collect(),
            Some(list) => {
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
                    out.push(spec);
                }
                out
            }
        };

        if batch.is_none() {
            let needs = raw
                .streams
                .value
                .iter()
                .find(|s| matches!(s.api, Some(RawApi::Batch)));
            if let Some(s) = needs {
                return Err(cx.err(
                    &s.name.referenced,
                    format!("stream `{}` uses the Batch API, but profile `{tier}` publishes no Batch limits; add a `batch:` block with rpm, max_queued_requests and max_batch_requests", s.name.value),
                ));
            }
            if let Some(s) = strategies.iter().find(|s| s.batch_offload.is_some()) {
                return Err(cx.err(
                    &streams_loc,
                    format!("strategy `{}` offloads to the Batch API, but profile `{tier}` publishes no Batch limits; add a `batch:` block", s.name),
                ));
            }
        }
        let provider = ProviderConfig {
            models: model_specs,
            pools: pool_names
                .iter()
                .cloned()
                .zip(pool_limits.iter().copied())
                .collect(),
            limiter,
            network_rtt,
            overload,
            workspaces,
            acceleration,
            batch,
        };
        let mut assertions = Vec::new();
        for a in &raw.asserts {
            let parsed = Assertion::parse(&a.value).map_err(|e| {
                // Point into the file: the value's column plus the column in
                // the expression (one more when the value is quoted), when
                // the expression is written as is on one line; otherwise
                // (a scalar folded over lines, escapes) at the value.
                let loc = a.referenced;
                let rest: String = error::source_lines(cx.text)
                    .nth(loc.line().saturating_sub(1) as usize)
                    .unwrap_or_default()
                    .chars()
                    .skip(loc.column().saturating_sub(1) as usize)
                    .collect();
                let quoted = rest.starts_with(['"', '\'']);
                let verbatim = rest[quoted as usize..].starts_with(a.value.as_str());
                let col = if verbatim {
                    loc.column() + e.column as u64 - 1 + quoted as u64
                } else {
                    loc.column()
                };
                ScenarioError::at_position(
                    cx.file,
                    cx.text,
                    loc.line(),
                    col,
                    format!("assert: {}", e.message),
                )
            })?;
            if let Some(st) = &parsed.strategy
                && !strategies.iter().any(|s| &s.name == st)
            {
                return Err(cx.err(
                    &a.referenced,
                    format!("assert: no strategy `{st}` in this scenario"),
                ));
            }
            assertions.push(parsed);
        }
        Ok(Scenario {
            assertions,
            name: raw.name,
            description: raw.description,
            tier,
            pool_names,
            sim: SimConfig {
                seed: raw.seed.unwrap_or(DEFAULT_SEED),
                horizon,
                drain,
                provider,
                streams,
                classes,
                client_limits: pool_limits,
                latency_noise_sigma: noise_sigma,
                router,
            },
            strategies,
        })
    }
}

struct Cx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Cx<'_> {
    fn err(&self, loc: &Location, msg: impl Into<String>) -> ScenarioError {
        ScenarioError::at(self.file, self.text, *loc, msg)
    }
}

/// The catalogue entry for a model named in the scenario, or a located
/// error listing the known ids (`what` prefixes the message, e.g. `router: `).
fn known_model(
    cx: &Cx,
    name: &Spanned<String>,
    what: &str,
) -> Result<&'static catalog::ModelInfo, ScenarioError> {
    find_model(&name.value).ok_or_else(|| {
        cx.err(
            &name.referenced,
            format!(
                "{what}unknown model `{}`, expected one of {}",
                name.value,
                catalog::model_ids().join(", ")
            ),
        )
    })
}

fn batch_config(
    cx: &Cx,
    tier: &str,
    raw: Option<&Spanned<RawBatch>>,
) -> Result<Option<BatchConfig>, ScenarioError> {
    let published = catalog::batch_limits(tier);
    let Some(raw) = raw else {
        return Ok(published.map(|limits| BatchConfig {
            limits,
            ..DEFAULT_BATCH
        }));
    };
    let b = &raw.value;
    let base = published.unwrap_or(catalog::BatchLimits {
        rpm: 0,
        max_queued_requests: 0,
        max_batch_requests: catalog::BATCH_MAX_REQUESTS,
    });
    let limits = catalog::BatchLimits {
        rpm: b.rpm.unwrap_or(base.rpm),
        max_queued_requests: b.max_queued_requests.unwrap_or(base.max_queued_requests),
        max_batch_requests: b.max_batch_requests.unwrap_or(base.max_batch_requests),
    };
    if limits.rpm == 0 || limits.max_queued_requests == 0 || limits.max_batch_requests == 0 {
        return Err(cx.err(
            &raw.referenced,
            format!("batch: profile `{tier}` publishes no Batch API limits; set rpm, max_queued_requests and max_batch_requests (all > 0)"),
        ));
    }
    let mut c = BatchConfig {
        limits,
        ..DEFAULT_BATCH
    };
    if let Some(t) = &b.turnaround {
        let sigma = t.sigma.unwrap_or(DEFAULT_BATCH.turnaround_sigma);
        if t.median.0 == SimTime::ZERO || !(sigma.is_finite() && sigma >= 0.0) {
            return Err(cx.err(
                &raw.referenced,
                "batch.turnaround needs median > 0 and sigma >= 0",
            ));
        }
        c.turnaround_median = t.median.0;
        c.turnaround_sigma = sigma;
    }
    if let Some(p) = b.per_request {
        c.per_request = p.0;
    }
    Ok(Some(c))
}

/// Batch turnaround when the scenario does not say: a median of 30 minutes
/// with sigma 0.7 puts ~84 % of batches under an hour, matching "most batches
/// complete within 1 hour"; batches expire after 24 h.
const DEFAULT_BATCH: BatchConfig = BatchConfig {
    limits: catalog::BatchLimits {
        rpm: 0,
        max_queued_requests: 0,
        max_batch_requests: 0,
    },
    turnaround_median: SimTime(30 * SimTime::NANOS_PER_MIN),
    turnaround_sigma: 0.7,
    per_request: SimTime::ZERO,
    expiry: SimTime(24 * 3600 * SimTime::NANOS_PER_SEC),
};

/// Applies one `pools:`-style override (keyed by pool name or model id).
fn override_limits(
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
        let msg = if known {
            format!(
                "{what}: pool `{key}` is not used by any stream (used: {})",
                pool_names.join(", ")
            )
        } else {
            format!(
                "{what}: unknown pool `{key}`, expected a pool ({}) or a model id",
                pool_names.join(", ")
            )
        };
        return Err(cx.err(&lim.referenced, msg));
    };
    let l = &lim.value;
    for (name, v) in [
        ("rpm", l.rpm),
        ("itpm", l.itpm),
        ("otpm", l.otpm),
        ("tpm", l.tpm),
        ("max_concurrent", l.max_concurrent),
    ] {
        if v == Some(0) {
            return Err(cx.err(&lim.referenced, format!("{what}.{key}.{name} must be > 0")));
        }
    }
    let p = &mut limits[i];
    p.rpm = l.rpm.or(p.rpm);
    p.itpm = l.itpm.or(p.itpm);
    p.otpm = l.otpm.or(p.otpm);
    p.tpm = l.tpm.or(p.tpm);
    p.max_concurrent = l.max_concurrent.or(p.max_concurrent);
    Ok(())
}

fn check_probability(cx: &Cx, p: f64, loc: &Location, what: &str) -> Result<(), ScenarioError> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(cx.err(loc, format!("{what} must be between 0 and 1, got {p}")))
    }
}

/// Most workspaces a scenario may declare (clients are numbered with a u16,
/// and the default client takes one number).
const MAX_WORKSPACES: usize = u16::MAX as usize - 1;

/// Most requests one spike may add (each is held in memory until it is
/// sent: 10 million is 80 MB of arrival times).
const MAX_SPIKE_COUNT: u64 = 10_000_000;

/// Longest simulated arrival window a scenario may ask for.
pub const MAX_DURATION: SimTime = SimTime(366 * 24 * 3600 * SimTime::NANOS_PER_SEC);

/// Highest arrival rate per minute a stream may ask for (far above any tier).
const MAX_RATE_PER_MIN: f64 = 1e6;

fn check_rate(cx: &Cx, v: f64, loc: &Location, what: &str) -> Result<(), ScenarioError> {
    if v.is_finite() && (0.0..=MAX_RATE_PER_MIN).contains(&v) {
        Ok(())
    } else {
        Err(cx.err(
            loc,
            format!("{what} must be between 0 and {MAX_RATE_PER_MIN} per minute, got {v}"),
        ))
    }
}

fn arrivals(cx: &Cx, a: &Spanned<RawArrivals>) -> Result<ArrivalProcess, ScenarioError> {
    let loc = &a.referenced;
    Ok(match &a.value {
        RawArrivals::Poisson { rate_per_min } => {
            check_rate(cx, *rate_per_min, loc, "poisson.rate_per_min")?;
            ArrivalProcess::Poisson {
                rate_per_min: *rate_per_min,
            }
        }
        RawArrivals::Constant { rate_per_min } => {
            check_rate(cx, *rate_per_min, loc, "constant.rate_per_min")?;
            ArrivalProcess::Constant {
                rate_per_min: *rate_per_min,
            }
        }
        RawArrivals::Bursts {
            base_per_min,
            burst_per_min,
            burst_length,
            period,
            offset,
        } => {
            check_rate(cx, *base_per_min, loc, "bursts.base_per_min")?;
            check_rate(cx, *burst_per_min, loc, "bursts.burst_per_min")?;
            if period.0 == SimTime::ZERO || burst_length.0 > period.0 {
                return Err(cx.err(loc, "bursts: period must be > 0 and at least burst_length"));
            }
            ArrivalProcess::Bursts {
                base_per_min: *base_per_min,
                burst_per_min: *burst_per_min,
                burst_length: burst_length.0,
                period: period.0,
                offset: offset.map_or(SimTime::ZERO, |d| d.0),
            }
        }
        RawArrivals::Diurnal {
            rate_per_min,
            hourly,
            peak_hour,
            peak_to_trough,
        } => {
            check_rate(cx, *rate_per_min, loc, "diurnal.rate_per_min")?;
            let profile = match (hourly, peak_hour, peak_to_trough) {
                (Some(h), None, None) => {
                    let arr: [f64; 24] = h.as_slice().try_into().map_err(|_| {
                        cx.err(
                            loc,
                            format!("diurnal.hourly needs 24 multipliers, got {}", h.len()),
                        )
                    })?;
                    if arr.iter().any(|x| !(x.is_finite() && *x >= 0.0)) {
                        return Err(cx.err(loc, "diurnal.hourly multipliers must be >= 0"));
                    }
                    arr
                }
                (None, Some(p), Some(r)) => {
                    if !((0.0..24.0).contains(p) && r.is_finite() && *r >= 1.0) {
                        return Err(cx.err(
                            loc,
                            "diurnal: peak_hour must be in 0..24 and peak_to_trough >= 1",
                        ));
                    }
                    ArrivalProcess::diurnal_profile(*p, *r)
                }
                _ => {
                    return Err(cx.err(
                        loc,
                        "diurnal: give either `hourly` (24 multipliers) or both `peak_hour` and `peak_to_trough`",
                    ));
                }
            };
            ArrivalProcess::Diurnal {
                rate_per_min: *rate_per_min,
                hourly: profile,
            }
        }
        RawArrivals::None => ArrivalProcess::None,
    })
}

fn prompt_cache(cx: &Cx, c: &RawPromptCache) -> Result<PromptCache, ScenarioError> {
    let hit_rate = match &c.hit_rate {
        Some(h) => {
            check_probability(cx, h.value, &h.referenced, "prompt_cache.hit_rate")?;
            Some(h.value)
        }
        None => None,
    };
    if c.prefix_tokens.value > MAX_TOKENS {
        return Err(cx.err(
            &c.prefix_tokens.referenced,
            format!("prompt_cache.prefix_tokens must be at most {MAX_TOKENS}"),
        ));
    }
    let prefixes = match &c.prefixes {
        Some(p) if p.value == 0 => {
            return Err(cx.err(&p.referenced, "prompt_cache.prefixes must be >= 1"));
        }
        Some(p) => p.value,
        None => 1,
    };
    let popularity = match &c.popularity {
        None
        | Some(Spanned {
            value: RawPopularity::Uniform,
            ..
        }) => Popularity::Uniform,
        Some(Spanned {
            value: RawPopularity::Zipf(e),
            referenced,
            ..
        }) => {
            if !(e.is_finite() && *e > 0.0) {
                return Err(cx.err(
                    referenced,
                    "prompt_cache.popularity.zipf exponent must be > 0",
                ));
            }
            Popularity::Zipf(*e)
        }
    };
    let ttl = match &c.ttl {
        None => CacheTtl::FiveMinutes,
        Some(t) if t.value.0 == CacheTtl::FiveMinutes.duration() => CacheTtl::FiveMinutes,
        Some(t) if t.value.0 == CacheTtl::OneHour.duration() => CacheTtl::OneHour,
        Some(t) => {
            return Err(cx.err(
                &t.referenced,
                "prompt_cache.ttl must be 5m or 1h (the two TTLs Anthropic offers)",
            ));
        }
    };
    Ok(PromptCache {
        prefix_tokens: c.prefix_tokens.value,
        prefixes,
        popularity,
        ttl,
        hit_rate,
    })
}

fn tokens(cx: &Cx, t: &Spanned<RawTokens>) -> Result<TokenDist, ScenarioError> {
    let d = match &t.value {
        RawTokens::Constant(n) | RawTokens::Dist(RawDist::Constant(n)) => TokenDist::Constant(*n),
        RawTokens::Dist(RawDist::Uniform { min, max }) => TokenDist::Uniform {
            min: *min,
            max: *max,
        },
        RawTokens::Dist(RawDist::Lognormal { median, sigma }) => TokenDist::LogNormal {
            median: *median,
            sigma: *sigma,
        },
        RawTokens::Dist(RawDist::Empirical { values, weights }) => TokenDist::Empirical {
            values: values.clone(),
            weights: weights.clone(),
        },
        RawTokens::Dist(RawDist::Exponential { mean }) => TokenDist::Exponential { mean: *mean },
    };
    d.sampler().map_err(|e| cx.err(&t.referenced, e))?;
    Ok(d)
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
                return Err(cx.err(
                    &at(&p.referenced),
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
    if let Some(q) = raw.queue {
        spec.queue = match q {
            RawQueue::Fifo => QueueDiscipline::Fifo,
            RawQueue::Priority => QueueDiscipline::Priority,
        };
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
                Concurrency::Aimd(a.map_err(|e| cx.err(loc, e))?)
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
                    .map_err(|e| cx.err(loc, e))?
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
        spec.retry_budget = Some(merged.map_err(|e| cx.err(loc, e))?);
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
