//! The scenario file as written: serde types that mirror the YAML.
//!
//! Everything is `deny_unknown_fields`, enums are externally tagged (single-key
//! maps) and values that need a second look carry their location
//! (`Spanned`), so every error can point at `file:line:column`.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_saphyr::Spanned;

use super::duration::{self, DurationError};
use crate::engine::SimTime;
use crate::model::{AdmitWhen, Algorithm, OtpmAccounting, Oversized};

/// A duration written as `90s`, `1h 30m` or `250ms` (see
/// [`super::duration::parse`]); a bare number is an error that asks for a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dur(pub SimTime);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Dur, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `90s`, `15m` or `1h 30m`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Dur, E> {
                duration::parse(s).map(Dur).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Err(E::custom(DurationError::NoUnit {
                    number: v.to_string(),
                }))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                if v < 0 {
                    return Err(E::custom(format!("duration must not be negative, got {v}")));
                }
                self.visit_u64(v as u64)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                if v < 0.0 {
                    return Err(E::custom(format!("duration must not be negative, got {v}")));
                }
                Err(E::custom(DurationError::NoUnit {
                    number: v.to_string(),
                }))
            }
        }
        d.deserialize_any(V)
    }
}

/// Top level of a scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub seed: Option<u64>,
    pub duration: Spanned<Dur>,
    #[serde(default)]
    pub drain: Option<Dur>,
    #[serde(default)]
    pub start: Option<Spanned<String>>,
    #[serde(default)]
    pub tier: Option<Spanned<String>>,
    #[serde(default)]
    pub limiter: Option<RawLimiter>,
    #[serde(default)]
    pub pools: BTreeMap<String, Spanned<RawLimits>>,
    #[serde(default)]
    pub latency: Option<RawLatency>,
    #[serde(default)]
    pub overload: Option<RawOverload>,
    #[serde(default)]
    pub classes: Option<Vec<String>>,
    #[serde(default)]
    pub workspaces: Vec<Spanned<RawWorkspace>>,
    #[serde(default)]
    pub router: BTreeMap<String, Spanned<RawRoute>>,
    #[serde(default)]
    pub batch: Option<Spanned<RawBatch>>,
    #[serde(default, rename = "assert")]
    pub asserts: Vec<Spanned<String>>,
    #[serde(default)]
    pub acceleration: Option<Spanned<RawAcceleration>>,
    #[serde(default)]
    pub spend: Option<Spanned<RawSpend>>,
    pub streams: Spanned<Vec<RawStream>>,
    #[serde(default)]
    pub strategies: Option<Spanned<Vec<Spanned<RawStrategy>>>>,
    #[serde(default)]
    pub slo: Option<Spanned<RawSlo>>,
}

/// `slo:` — the default rule, per-class overrides and the share to hold.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSlo {
    #[serde(default)]
    pub latency: Option<Spanned<String>>,
    #[serde(default)]
    pub by: Option<Spanned<String>>,
    #[serde(default)]
    pub attainment: Option<Spanned<Share>>,
    #[serde(default)]
    pub classes: BTreeMap<String, Spanned<RawSloClass>>,
}

/// One class's SLO rule under `slo.classes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSloClass {
    #[serde(default)]
    pub latency: Option<Spanned<String>>,
    #[serde(default)]
    pub by: Option<Spanned<String>>,
    #[serde(default)]
    pub exclude: Option<bool>,
}

/// A share written `99%` or `0.99`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share(pub f64);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Share, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Share;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a share such as `99%` or `0.99`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Share, E> {
                crate::text::num::parse_fraction(s)
                    .map(Share)
                    .map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Share, E> {
                Ok(Share(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Share, E> {
                Ok(Share(v as f64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Share, E> {
                Ok(Share(v as f64))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimiter {
    #[serde(default)]
    pub algorithm: Option<Algorithm>,
    #[serde(default)]
    pub burst: Option<Spanned<RawBurst>>,
    #[serde(default)]
    pub otpm_accounting: Option<OtpmAccounting>,
    #[serde(default)]
    pub admit_when: Option<AdmitWhen>,
    #[serde(default)]
    pub oversized: Option<Oversized>,
}

/// `burst: 1s` (every dimension) or `burst: {rpm: 1s, itpm: 60s}` (per
/// dimension; the others keep one minute).
#[derive(Debug)]
pub enum RawBurst {
    All(Dur),
    PerDimension(RawBursts),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBursts {
    #[serde(default)]
    pub rpm: Option<Dur>,
    #[serde(default)]
    pub itpm: Option<Dur>,
    #[serde(default)]
    pub otpm: Option<Dur>,
    #[serde(default)]
    pub tpm: Option<Dur>,
}

impl<'de> Deserialize<'de> for RawBurst {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawBurst, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawBurst;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `1s`, or a map such as `{rpm: 1s, itpm: 60s}`")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawBurst, E> {
                duration::parse(s)
                    .map(|t| RawBurst::All(Dur(t)))
                    .map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawBurst, E> {
                Err(E::custom(DurationError::NoUnit {
                    number: v.to_string(),
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawBurst, A::Error> {
                RawBursts::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawBurst::PerDimension)
            }
        }
        d.deserialize_any(V)
    }
}

/// `spend:`: the monthly spend limit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpend {
    /// Calendar date (UTC midnight) of simulated time 0, `YYYY-MM-DD`.
    #[serde(default)]
    pub start: Option<Spanned<String>>,
    /// Enforce the tier's monthly cap (default true).
    #[serde(default)]
    pub tier_limit: Option<bool>,
    /// A lower limit the organisation set itself, USD per month.
    #[serde(default)]
    pub limit_usd: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    #[serde(default)]
    pub rpm: Option<Spanned<u64>>,
    #[serde(default)]
    pub itpm: Option<Spanned<u64>>,
    #[serde(default)]
    pub otpm: Option<Spanned<u64>>,
    #[serde(default)]
    pub tpm: Option<Spanned<u64>>,
    #[serde(default)]
    pub max_concurrent: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLatency {
    #[serde(default)]
    pub network_rtt: Option<Dur>,
    #[serde(default)]
    pub noise_sigma: Option<Spanned<f64>>,
    #[serde(default)]
    pub models: BTreeMap<String, Spanned<RawModelLatency>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawModelLatency {
    #[serde(default)]
    pub ttft: Option<Dur>,
    #[serde(default)]
    pub output_tokens_per_s: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverload {
    #[serde(default)]
    pub probability: Option<Spanned<f64>>,
    #[serde(default)]
    pub windows: Vec<Spanned<RawOverloadWindow>>,
    #[serde(default)]
    pub episodes: Option<Spanned<RawEpisodes>>,
    #[serde(default)]
    pub mid_stream: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWorkspace {
    pub name: String,
    #[serde(default)]
    pub limits: BTreeMap<String, Spanned<RawLimits>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRoute {
    pub primary: Spanned<String>,
    #[serde(default)]
    pub fallbacks: Vec<Spanned<String>>,
    #[serde(default)]
    pub on_429: Option<bool>,
    #[serde(default)]
    pub on_529: Option<bool>,
    #[serde(default)]
    pub spill_over: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawApi {
    Messages,
    Batch,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatch {
    #[serde(default)]
    pub turnaround: Option<RawTurnaround>,
    #[serde(default)]
    pub per_request: Option<Dur>,
    #[serde(default)]
    pub rpm: Option<u64>,
    #[serde(default)]
    pub max_queued_requests: Option<u64>,
    #[serde(default)]
    pub max_batch_requests: Option<u64>,
    #[serde(default)]
    pub cache_hit_rate: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTurnaround {
    pub median: Dur,
    #[serde(default)]
    pub sigma: Option<f64>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBatchOffload {
    #[serde(default)]
    pub from_class: Option<u8>,
    #[serde(default)]
    pub max_batch_requests: Option<u64>,
    #[serde(default)]
    pub flush_every: Option<Dur>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAcceleration {
    pub window: Dur,
    pub baseline: Dur,
    pub max_ratio: f64,
    pub floor_rpm: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEpisodes {
    pub mean_interval: Dur,
    pub mean_duration: Dur,
    pub probability: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOverloadWindow {
    pub start: Dur,
    pub end: Dur,
    pub probability: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStream {
    pub name: Spanned<String>,
    pub model: Spanned<String>,
    #[serde(default)]
    pub class: Option<Spanned<String>>,
    #[serde(default)]
    pub workspace: Option<Spanned<String>>,
    #[serde(default)]
    pub api: Option<Spanned<RawApi>>,
    #[serde(default)]
    pub arrivals: Option<Spanned<RawArrivals>>,
    #[serde(default)]
    pub spikes: Vec<Spanned<RawSpike>>,
    #[serde(default)]
    pub trace: Option<Spanned<String>>,
    #[serde(default)]
    pub trace_options: Option<Spanned<RawTraceOptions>>,
    #[serde(default)]
    pub input_tokens: Option<Spanned<RawTokens>>,
    #[serde(default)]
    pub output_tokens: Option<Spanned<RawTokens>>,
    #[serde(default)]
    pub max_tokens: Option<Spanned<RawTokens>>,
    #[serde(default)]
    pub prompt_cache: Option<Spanned<RawPromptCache>>,
    #[serde(default)]
    pub deadline: Option<Spanned<Dur>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawArrivals {
    Poisson {
        rate_per_min: Spanned<f64>,
    },
    Constant {
        rate_per_min: Spanned<f64>,
    },
    Bursts {
        base_per_min: Spanned<f64>,
        burst_per_min: Spanned<f64>,
        burst_length: Dur,
        period: Spanned<Dur>,
        #[serde(default)]
        offset: Option<Dur>,
    },
    Diurnal {
        rate_per_min: Spanned<f64>,
        #[serde(default)]
        hourly: Option<Spanned<Vec<f64>>>,
        #[serde(default)]
        peak_hour: Option<f64>,
        #[serde(default)]
        peak_to_trough: Option<f64>,
    },
    None,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTraceOptions {
    #[serde(default)]
    pub time_scale: Option<f64>,
    #[serde(default)]
    pub volume: Option<f64>,
    #[serde(default)]
    pub requests: Option<f64>,
    #[serde(default)]
    pub requests_range: Option<[f64; 2]>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpike {
    pub at: Dur,
    pub count: u64,
    #[serde(default)]
    pub over: Option<Dur>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPromptCache {
    pub prefix_tokens: Spanned<u64>,
    #[serde(default)]
    pub prefixes: Option<Spanned<u32>>,
    #[serde(default)]
    pub popularity: Option<Spanned<RawPopularity>>,
    #[serde(default)]
    pub ttl: Option<Spanned<Dur>>,
    #[serde(default)]
    pub hit_rate: Option<Spanned<f64>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawPopularity {
    Uniform,
    Zipf(f64),
}

/// A token distribution: a bare number is a constant.
#[derive(Debug)]
pub enum RawTokens {
    Constant(u64),
    Dist(RawDist),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawDist {
    Constant(u64),
    Uniform { min: u64, max: u64 },
    Lognormal { median: f64, sigma: f64 },
    Empirical { values: Vec<u64>, weights: Vec<f64> },
    Exponential { mean: f64 },
}

impl<'de> Deserialize<'de> for RawTokens {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawTokens, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawTokens;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a token count or one of {constant: N}, {uniform: {min, max}}, \
                     {lognormal: {median, sigma}}, {empirical: {values, weights}}, \
                     {exponential: {mean}}",
                )
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawTokens, E> {
                Ok(RawTokens::Constant(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawTokens, E> {
                Err(E::custom(format!(
                    "token count must not be negative, got {v}"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawTokens, A::Error> {
                RawDist::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawTokens::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

/// A strategy entry: a preset name, or a map of layers.
#[derive(Debug, Default)]
pub struct RawStrategy {
    pub name: Option<String>,
    pub preset: Option<Spanned<String>>,
    pub queue: Option<Spanned<RawQueue>>,
    pub concurrency: Option<Spanned<RawConcurrency>>,
    pub pacing: Option<Spanned<RawPacing>>,
    pub retry: Option<Spanned<RawRetry>>,
    pub retry_budget: Option<Spanned<RawRetryBudget>>,
    pub background_reserve: Option<Spanned<f64>>,
    pub routing: Option<bool>,
    pub batch_offload: Option<Spanned<RawBatchOffload>>,
    pub clients: Option<Spanned<RawClients>>,
    pub coordination: Option<Spanned<RawCoordination>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStrategyMap {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    preset: Option<Spanned<String>>,
    #[serde(default)]
    queue: Option<Spanned<RawQueue>>,
    #[serde(default)]
    concurrency: Option<Spanned<RawConcurrency>>,
    #[serde(default)]
    pacing: Option<Spanned<RawPacing>>,
    #[serde(default)]
    retry: Option<Spanned<RawRetry>>,
    #[serde(default)]
    retry_budget: Option<Spanned<RawRetryBudget>>,
    #[serde(default)]
    background_reserve: Option<Spanned<f64>>,
    #[serde(default)]
    routing: Option<bool>,
    #[serde(default)]
    batch_offload: Option<Spanned<RawBatchOffload>>,
    #[serde(default)]
    clients: Option<Spanned<RawClients>>,
    #[serde(default)]
    coordination: Option<Spanned<RawCoordination>>,
}

impl<'de> Deserialize<'de> for RawStrategy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawStrategy, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStrategy;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a preset name or a map with name/preset/queue/concurrency/pacing/retry",
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawStrategy, E> {
                Ok(RawStrategy {
                    // A bare name has no position of its own: errors about
                    // it point at the strategy entry.
                    preset: Some(Spanned::new(
                        s.to_string(),
                        serde_saphyr::Location::UNKNOWN,
                        serde_saphyr::Location::UNKNOWN,
                    )),
                    ..Default::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawStrategy, A::Error> {
                let m = RawStrategyMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawStrategy {
                    name: m.name,
                    preset: m.preset,
                    queue: m.queue,
                    concurrency: m.concurrency,
                    pacing: m.pacing,
                    retry: m.retry,
                    retry_budget: m.retry_budget,
                    background_reserve: m.background_reserve,
                    routing: m.routing,
                    batch_offload: m.batch_offload,
                    clients: m.clients,
                    coordination: m.coordination,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawDiscipline {
    Fifo,
    Priority,
    Lifo,
}

/// `queue: fifo` or `queue: {discipline: lifo, shed: {older_than: 20s}}`.
#[derive(Debug, Clone, Copy)]
pub struct RawQueue {
    pub discipline: Option<RawDiscipline>,
    pub shed: Option<RawShed>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQueueMap {
    #[serde(default)]
    discipline: Option<RawDiscipline>,
    #[serde(default)]
    shed: Option<RawShed>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawShed {
    pub older_than: Dur,
}

impl<'de> Deserialize<'de> for RawQueue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<RawQueue, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawQueue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("fifo, lifo, priority, or a map with discipline/shed")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawQueue, E> {
                let discipline = RawDiscipline::deserialize(de::value::StrDeserializer::new(s))?;
                Ok(RawQueue {
                    discipline: Some(discipline),
                    shed: None,
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawQueue, A::Error> {
                let m = RawQueueMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawQueue {
                    discipline: m.discipline,
                    shed: m.shed,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `clients: {replicas: 12, balance: round_robin, per_fleet: true}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawClients {
    #[serde(default)]
    pub replicas: Option<Spanned<u32>>,
    #[serde(default)]
    pub balance: Option<RawBalance>,
    #[serde(default)]
    pub per_fleet: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawBalance {
    RoundRobin,
    Random,
    LeastLoaded,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawCoordination {
    None,
    SharedLimiter(RawSharedLimiter),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSharedLimiter {
    #[serde(default)]
    pub rtt: Option<Dur>,
    #[serde(default)]
    pub fraction: Option<Spanned<f64>>,
    #[serde(default)]
    pub outage: Vec<Spanned<RawOutage>>,
    #[serde(default)]
    pub on_outage: Option<RawOnOutage>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutage {
    pub start: Dur,
    pub end: Dur,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawOnOutage {
    FailOpen,
    FailClosed,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawConcurrency {
    Unbounded,
    Fixed(u32),
    Aimd {
        #[serde(default)]
        initial: Option<u32>,
        #[serde(default)]
        min: Option<u32>,
        #[serde(default)]
        max: Option<u32>,
        #[serde(default)]
        backoff_ratio: Option<f64>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawPacing {
    None,
    TokenBucket {
        #[serde(default)]
        fraction: Option<f64>,
    },
    HeaderDriven {
        #[serde(default)]
        safety_tokens: Option<u64>,
    },
    AdaptiveThrottle {
        #[serde(default)]
        k: Option<f64>,
        #[serde(default)]
        window: Option<Dur>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "snake_case")]
pub enum RawRetry {
    None,
    Immediate {
        #[serde(default)]
        max_retries: Option<u32>,
    },
    FixedDelay {
        #[serde(default)]
        delay: Option<Dur>,
        #[serde(default)]
        max_retries: Option<u32>,
        #[serde(default)]
        honor_retry_after: Option<bool>,
    },
    Backoff {
        #[serde(default)]
        base: Option<Dur>,
        #[serde(default)]
        cap: Option<Dur>,
        #[serde(default)]
        max_retries: Option<u32>,
        #[serde(default)]
        jitter: Option<RawJitter>,
        #[serde(default)]
        honor_retry_after: Option<bool>,
    },
    SdkDefault {
        #[serde(default)]
        max_retries: Option<u32>,
        #[serde(default)]
        version: Option<RawSdkVersion>,
    },
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawSdkVersion {
    Current,
    Legacy,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRetryBudget {
    #[serde(default)]
    pub ratio: Option<f64>,
    #[serde(default)]
    pub min_per_s: Option<f64>,
    #[serde(default)]
    pub ttl: Option<Dur>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawJitter {
    None,
    Full,
    Equal,
    Decorrelated,
}
