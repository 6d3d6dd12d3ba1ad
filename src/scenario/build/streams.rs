//! `classes:` and `streams:`: each stream's class, workspace, model,
//! arrivals, spikes, sizes, cache and deadline, and its trace mapped to the
//! scenario's models and classes. Valid but doubtful settings (a deadline no
//! request can meet, spikes after the window) become warnings.

use super::distributions::{arrivals, max_tokens, prompt_cache, tokens};
use super::latency::Latencies;
use crate::engine::SimTime;
use crate::model::WorkspaceSpec;
use crate::model::catalog::find_model;
use crate::scenario::raw::{RawApi, RawScenario, RawStream};
use crate::scenario::trace::{self, ParsedTrace};
use crate::scenario::{Cx, ScenarioError, Warning};
use crate::workload::{ArrivalProcess, Spike, StreamSpec, TokenDist};

/// Most requests one spike may add (each is held in memory until it is
/// sent: 10 million is 80 MB of arrival times).
const MAX_SPIKE_COUNT: u64 = 10_000_000;

/// `max_tokens` when a stream does not say.
const DEFAULT_MAX_TOKENS: u64 = 4096;

/// What the earlier steps built that streams refer to.
pub(in crate::scenario) struct StreamEnv<'a> {
    /// The tier (named when Batch limits are missing).
    pub tier: &'a str,
    /// Whether the Batch API has limits (`api: batch` needs them).
    pub batch: bool,
    /// Declared workspaces.
    pub workspaces: &'a [WorkspaceSpec],
    /// Models and the network round trip.
    pub latency: &'a Latencies,
    /// End of the arrival window.
    pub horizon: SimTime,
}

/// The streams and the class names (by class index).
pub(in crate::scenario) fn streams(
    cx: &Cx,
    raw: &RawScenario,
    traces: Vec<Option<ParsedTrace>>,
    env: &StreamEnv,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<StreamSpec>, Vec<String>), ScenarioError> {
    let mut classes: Vec<String> = raw.classes.clone().unwrap_or_default();
    let mut streams: Vec<StreamSpec> = Vec::new();
    for s in &raw.streams.value {
        let class = class_index(cx, s, &mut classes, raw.classes.is_some())?;
        if streams.iter().any(|x| x.name == s.name.value) {
            return Err(cx.err(
                &s.name.referenced,
                format!("duplicate stream name `{}`", s.name.value),
            ));
        }
        streams.push(stream(cx, s, class, env, warnings)?);
    }
    let streams_loc = &raw.streams.referenced;
    if classes.len() > u8::MAX as usize {
        return Err(cx.err(streams_loc, "too many classes (at most 255)"));
    }
    // The simulator numbers streams with a u16.
    if streams.len() > u16::MAX as usize {
        return Err(cx.err(
            streams_loc,
            format!("too many streams (at most {})", u16::MAX),
        ));
    }
    // Traces' models and classes become the scenario's indices.
    for ((spec, t), s) in streams.iter_mut().zip(traces).zip(&raw.streams.value) {
        if let Some(t) = t {
            let replay = trace::resolve(t, spec.model, spec.class, &env.latency.models, &classes)?;
            if let Some(w) = trace::rows_after(&replay, env.horizon, &s.name.value) {
                warnings.push(w);
            }
            spec.trace = Some(replay);
        }
    }
    Ok((streams, classes))
}

/// The stream's class index; a new class joins the list unless `classes:`
/// lists them all.
fn class_index(
    cx: &Cx,
    s: &RawStream,
    classes: &mut Vec<String>,
    explicit: bool,
) -> Result<u8, ScenarioError> {
    let name = s.class.as_ref().map_or("default", |c| c.value.as_str());
    if let Some(i) = classes.iter().position(|c| c == name) {
        return Ok(i as u8);
    }
    if let (true, Some(c)) = (explicit, &s.class) {
        return Err(cx.unknown(
            &c.referenced,
            name,
            classes.iter().map(String::as_str),
            format!(
                "class `{name}` is not listed in `classes` ({})",
                classes.join(", ")
            ),
        ));
    }
    classes.push(name.to_string());
    // Checked against u8 by the caller once every stream is in.
    Ok((classes.len() - 1).min(u8::MAX as usize) as u8)
}

fn stream(
    cx: &Cx,
    s: &RawStream,
    class: u8,
    env: &StreamEnv,
    warnings: &mut Vec<Warning>,
) -> Result<StreamSpec, ScenarioError> {
    let stream = &s.name.value;
    let workspace = match &s.workspace {
        None => None,
        Some(w) => match env.workspaces.iter().position(|x| x.name == w.value) {
            Some(i) => Some(i as u16),
            None => {
                return Err(cx.unknown(
                    &w.referenced,
                    &w.value,
                    env.workspaces.iter().map(|x| x.name.as_str()),
                    format!(
                        "unknown workspace `{}`; declare it under `workspaces`",
                        w.value
                    ),
                ));
            }
        },
    };
    let batch = matches!(s.api.as_ref().map(|a| a.value), Some(RawApi::Batch));
    if let (true, false, Some(api)) = (batch, env.batch, &s.api) {
        return Err(cx.err(
            &api.referenced,
            format!(
                "stream `{stream}` uses the Batch API, but profile `{}` publishes no Batch \
                 limits; add a `batch:` block with rpm, max_queued_requests and \
                 max_batch_requests",
                env.tier
            ),
        ));
    }
    // Known: `used_models` checked every stream's model.
    let info =
        find_model(&s.model.value).ok_or_else(|| cx.err(&s.model.referenced, "unknown model"))?;
    let model = env
        .latency
        .models
        .iter()
        .position(|m| m.id == info.id)
        .unwrap_or(0);
    let arrivals = match &s.arrivals {
        None => ArrivalProcess::None,
        Some(a) => arrivals(cx, a)?,
    };
    if matches!(arrivals, ArrivalProcess::None) && s.spikes.is_empty() && s.trace.is_none() {
        return Err(cx.err(
            &s.name.referenced,
            format!("stream `{stream}` has neither arrivals nor spikes"),
        ));
    }
    let spikes = spikes(cx, s, env.horizon, warnings)?;
    let prompt_cache = match &s.prompt_cache {
        None => None,
        Some(c) => Some(prompt_cache(cx, &c.value)?),
    };
    let max_tokens = match &s.max_tokens {
        Some(t) => max_tokens(cx, t, info)?,
        None => TokenDist::Constant(DEFAULT_MAX_TOKENS),
    };
    let deadline = s.deadline.as_ref().map(|d| {
        let spec = &env.latency.models[model];
        let fastest = spec.latency.ttft + env.latency.network_rtt;
        if d.value.0 < fastest {
            warnings.push(cx.warn(
                &d.referenced,
                format!(
                    "stream `{stream}`: deadline {} is shorter than `{}`'s time to first \
                     token ({}) plus the network round trip ({}): no request can finish in \
                     time, so every request will fail as deadline exceeded",
                    show(d.value.0),
                    spec.id,
                    show(spec.latency.ttft),
                    show(env.latency.network_rtt)
                ),
            ));
        }
        d.value.0
    });
    Ok(StreamSpec {
        name: stream.clone(),
        model: model as u16,
        class,
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
        deadline,
        workspace,
        batch,
        trace: None,
    })
}

/// `spikes:`, with a warning for each one that (partly) falls after the
/// arrival window: those requests are never sent.
fn spikes(
    cx: &Cx,
    s: &RawStream,
    horizon: SimTime,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Spike>, ScenarioError> {
    let mut out = Vec::new();
    for sp in &s.spikes {
        let v = &sp.value;
        if v.count > MAX_SPIKE_COUNT {
            return Err(cx.err(
                &sp.referenced,
                format!(
                    "spikes: count must be at most {MAX_SPIKE_COUNT} requests, got {}",
                    v.count
                ),
            ));
        }
        let spike = Spike {
            at: v.at.0,
            count: v.count,
            over: v.over.map_or(SimTime::ZERO, |d| d.0),
        };
        let dropped = spike_requests_after(&spike, horizon);
        if dropped > 0 {
            warnings.push(cx.warn(
                &sp.referenced,
                format!(
                    "stream `{}`: {dropped} of this spike's {} requests fall after the \
                     simulated window (duration {}) and are never sent",
                    s.name.value,
                    v.count,
                    show(horizon)
                ),
            ));
        }
        out.push(spike);
    }
    Ok(out)
}

/// How many of a spike's requests arrive at or after `horizon`. Request k of
/// n arrives at `at + over·k/n` (the workload's rule), so those at or after
/// the horizon are the ks from the first with `over·k/n ≥ horizon − at`.
fn spike_requests_after(s: &Spike, horizon: SimTime) -> u64 {
    if s.at >= horizon {
        return s.count;
    }
    if s.count <= 1 {
        return 0;
    }
    let room = (horizon.as_nanos() - s.at.as_nanos()) as u128;
    let (over, n) = (s.over.as_nanos() as u128, s.count as u128);
    if over == 0 {
        return 0;
    }
    // floor(over·k / n) ≥ room  ⇔  over·k ≥ room·n  ⇔  k ≥ ⌈room·n / over⌉.
    let first_late = (room * n).div_ceil(over).min(n);
    (n - first_late) as u64
}

/// A duration for messages: `1h 30m`, `90s`, `950ms`.
pub(in crate::scenario) fn show(t: SimTime) -> String {
    let ns = t.as_nanos();
    if !ns.is_multiple_of(1_000_000_000) || ns == 0 {
        let ms = ns as f64 / 1e6;
        return if ms.fract() == 0.0 {
            format!("{ms}ms")
        } else {
            format!("{ms:.3}ms")
        };
    }
    let s = ns / 1_000_000_000;
    let (h, m, sec) = (s / 3600, s / 60 % 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h}h"));
    }
    if m > 0 {
        parts.push(format!("{m}m"));
    }
    if sec > 0 {
        parts.push(format!("{sec}s"));
    }
    parts.join(" ")
}
