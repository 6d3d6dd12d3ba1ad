//! The provider: routes attempts to pools, applies overload, computes latency
//! and answers with a response a real client would see.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::acceleration::{AccelerationGuard, AccelerationLimit};
use super::batch::BatchConfig;
use super::cache::{CachePrefix, CacheTtl, PromptCacheStore};
use super::catalog::{LONG_CONTEXT_THRESHOLD, Prices};
use super::headers::RateLimitHeaders;
use super::pool::{Demand, Dimension, LimiterConfig, Oversized, Pool, PoolLimits, Verdict};
use super::spend::{SpendLimit, SpendLimitKind, SpendMeter};
use crate::engine::SimTime;

/// Latency parameters of one model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Latency {
    /// Time to first token.
    pub ttft: SimTime,
    /// Output tokens generated per second.
    pub output_tokens_per_s: f64,
}

/// A model as the provider serves it.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelSpec {
    /// API model id.
    pub id: String,
    /// Index of its pool in [`ProviderConfig::pools`].
    pub pool: usize,
    /// List prices.
    pub prices: Prices,
    /// Whether cache reads count toward ITPM (the † models).
    pub itpm_counts_cache_reads: bool,
    /// Latency of an admitted request.
    pub latency: Latency,
    /// Shorter prefixes are silently not cached.
    pub min_cacheable_tokens: u64,
    /// Prices of a long-context request (input over
    /// [`LONG_CONTEXT_THRESHOLD`] tokens); `None`: the model has none.
    pub long_context: Option<Prices>,
}

impl ModelSpec {
    /// Whether a request with this much input (uncached, cache reads and
    /// writes) is a long-context one for this model.
    pub fn is_long_context(&self, total_input: u64) -> bool {
        self.long_context.is_some() && total_input > LONG_CONTEXT_THRESHOLD
    }

    /// The prices a request with `total_input` input tokens is billed at.
    pub fn prices_for(&self, total_input: u64) -> &Prices {
        match &self.long_context {
            Some(p) if total_input > LONG_CONTEXT_THRESHOLD => p,
            _ => &self.prices,
        }
    }
}

/// A period with an elevated chance of `529 overloaded_error`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverloadWindow {
    /// Start (inclusive).
    pub start: SimTime,
    /// End (exclusive).
    pub end: SimTime,
    /// Chance that an attempt in the window is rejected with 529.
    pub probability: f64,
}

/// Randomly timed overload episodes: gaps and lengths are exponential.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OverloadEpisodes {
    /// Mean time between the starts of episodes.
    pub mean_interval: SimTime,
    /// Mean length of an episode.
    pub mean_duration: SimTime,
    /// Chance of a 529 during an episode.
    pub probability: f64,
}

/// Fleet-wide overload, independent of the organisation's limits.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Overload {
    /// Chance that any attempt is rejected with 529.
    pub probability: f64,
    /// Windows that override the base probability while they last.
    pub windows: Vec<OverloadWindow>,
    /// Random episodes, turned into windows by [`Overload::realise`].
    pub episodes: Option<OverloadEpisodes>,
    /// Chance that an admitted attempt's stream is cut by an SSE
    /// `overloaded_error` after its `200` began (the errors page: "an error
    /// can occur after the API returns a 200"). The output generated so far
    /// counts toward OTPM and is billed; the SDKs do not retry it, since the
    /// error surfaces while the stream is read.
    pub mid_stream: f64,
}

impl Overload {
    /// Draws the random episodes up to `until` and adds them as windows
    /// (scheduled windows keep precedence where they overlap).
    pub fn realise(&self, rng: &mut ChaCha8Rng, until: SimTime) -> Overload {
        let mut out = self.clone();
        let Some(e) = self.episodes else {
            return out;
        };
        let exp = |rng: &mut ChaCha8Rng, mean: SimTime| {
            let u: f64 = rng.random();
            SimTime::from_secs_f64(-(1.0 - u).ln() * mean.as_secs_f64())
        };
        let mut drawn = Vec::new();
        let mut t = SimTime::ZERO;
        loop {
            t = t + exp(rng, e.mean_interval);
            if t >= until {
                break;
            }
            let end = t + exp(rng, e.mean_duration).max(SimTime::from_secs(1));
            drawn.push(OverloadWindow {
                start: t,
                end,
                probability: e.probability,
            });
            t = end;
        }
        // `probability_at` takes the last matching window: keep scheduled
        // ones after the drawn ones so they win.
        drawn.extend(out.windows);
        out.windows = drawn;
        out.episodes = None;
        out
    }

    /// The rejection probability in force at `now`.
    pub fn probability_at(&self, now: SimTime) -> f64 {
        self.windows
            .iter()
            .rev()
            .find(|w| w.start <= now && now < w.end)
            .map_or(self.probability, |w| w.probability)
    }
}

/// Everything the provider needs to be built.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderConfig {
    /// Models by index (an attempt names its model by this index).
    pub models: Vec<ModelSpec>,
    /// Pools by index: name and limits.
    pub pools: Vec<(String, PoolLimits)>,
    /// Per pool index, the dedicated limits of its long-context requests
    /// (`None`: they share the ordinary pool). Empty means none anywhere.
    pub long_context_pools: Vec<Option<PoolLimits>>,
    /// Algorithm, bucket capacity, OTPM rule.
    pub limiter: LimiterConfig,
    /// Network round trip added to every attempt.
    pub network_rtt: SimTime,
    /// 529 behaviour.
    pub overload: Overload,
    /// Workspaces with their own caps inside the organisation's limits.
    pub workspaces: Vec<WorkspaceSpec>,
    /// Optional acceleration limit, per pool.
    pub acceleration: Option<AccelerationLimit>,
    /// The Message Batches API, where the profile publishes its limits.
    pub batch: Option<BatchConfig>,
    /// The monthly spend limit, if enforced.
    pub spend: Option<SpendLimit>,
}

/// A workspace: its own caps per pool, enforced on top of the organisation's.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkspaceSpec {
    /// Name.
    pub name: String,
    /// Caps per pool index (unlimited where `None`).
    pub limits: Vec<PoolLimits>,
}

/// One attempt as sent on the wire.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attempt {
    /// Model index.
    pub model: u16,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Input tokens read from the prompt cache.
    pub cache_read_tokens: u64,
    /// Input tokens written to the prompt cache.
    pub cache_write_tokens: u64,
    /// A cacheable prefix whose hit or miss the server decides from its
    /// cache state (in addition to the fixed read/write counts above).
    pub prefix: Option<CachePrefix>,
    /// `max_tokens`.
    pub max_tokens: u64,
    /// Tokens the model will generate if admitted (≤ `max_tokens`).
    pub output_tokens: u64,
    /// Multiplier on the model's service time (latency noise, median 1).
    pub service_factor: f64,
    /// Workspace index, if the request is made with a workspace's key.
    pub workspace: Option<u16>,
}

/// How the server answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 200 with a complete response.
    Ok,
    /// 429 `rate_limit_error`; the body names the limit that was exceeded.
    RateLimited(Dimension),
    /// 529 `overloaded_error`.
    Overloaded,
    /// The request exceeds a limit's capacity and can never succeed
    /// (reported to the client as a non-retryable error; only with
    /// [`Oversized::TooLarge`], otherwise it is a 429 with `oversized`).
    TooLarge(Dimension),
    /// 400 `invalid_request_error` from a limit the organisation set
    /// itself (a self-set monthly spend limit): not retryable.
    InvalidRequest(Dimension),
}

/// The Messages API `usage` object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Tokens read from the cache.
    pub cache_read_input_tokens: u64,
    /// Tokens written to the cache (all TTLs).
    pub cache_creation_input_tokens: u64,
    /// The part of `cache_creation_input_tokens` written with the 1-hour TTL.
    pub cache_creation_1h_input_tokens: u64,
}

impl Usage {
    /// What this usage costs at `prices` (list prices per million tokens).
    pub fn cost_usd(&self, prices: &Prices) -> f64 {
        let write_5m = self.cache_creation_input_tokens - self.cache_creation_1h_input_tokens;
        (self.input_tokens as f64 * prices.input
            + self.output_tokens as f64 * prices.output
            + self.cache_read_input_tokens as f64 * prices.cache_read
            + write_5m as f64 * prices.cache_write_5m
            + self.cache_creation_1h_input_tokens as f64 * prices.cache_write_1h)
            / 1e6
    }
}

/// A response as the client receives it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    /// Outcome.
    pub status: Status,
    /// Rate-limit headers. Every real response carries them; the simulated
    /// one has them unless the client said it never reads them (see
    /// [`Provider::send_rate_limit_headers`]), since computing them is a
    /// tenth of a run's work.
    pub headers: Option<RateLimitHeaders>,
    /// `retry-after` in whole seconds (429 only; absent when the client
    /// said it never reads it, see [`Provider::send_retry_after`]).
    pub retry_after_s: Option<u64>,
    /// `retry-after-ms` (non-standard; the SDKs read it before `retry-after`).
    /// The simulated API never sends it.
    pub retry_after_ms: Option<u64>,
    /// `x-should-retry`.
    pub should_retry: bool,
    /// Token usage (success only).
    pub usage: Option<Usage>,
    /// The 429 names a workspace limit rather than the organisation's.
    pub limited_by_workspace: bool,
    /// The request alone exceeds the named limit's whole capacity, so no
    /// wait helps (the 429's message says the request "would exceed the
    /// rate limit"). For reports; a client cannot tell it from other 429s.
    pub oversized: bool,
    /// When the server handled the attempt (the header values' instant).
    pub server_time: SimTime,
    /// When the response reaches the client.
    pub received_at: SimTime,
}

/// The provider side of the simulation. It takes the current time as an
/// argument and never reads a clock, so it could sit behind a real server too.
pub struct Provider {
    config: ProviderConfig,
    pools: Vec<Pool>,
    /// Per pool index, the long-context pool, where the profile has one.
    long_context: Vec<Option<Pool>>,
    /// Per workspace, per pool: the workspace's own caps.
    workspaces: Vec<Vec<Pool>>,
    acceleration: Vec<Option<AccelerationGuard>>,
    overload: Overload,
    cache: PromptCacheStore,
    spend: Option<SpendMeter>,
    rng: ChaCha8Rng,
    rate_limit_headers: bool,
    retry_after: bool,
}

impl Provider {
    /// A provider with full buckets; `rng` decides 529s. Random overload
    /// episodes must already be realised (see [`Overload::realise`]).
    pub fn new(config: ProviderConfig, rng: ChaCha8Rng) -> Provider {
        let pools = config
            .pools
            .iter()
            .map(|(_, l)| Pool::new(*l, config.limiter))
            .collect();
        let workspaces = config
            .workspaces
            .iter()
            .map(|w| {
                w.limits
                    .iter()
                    .map(|l| Pool::new(*l, config.limiter))
                    .collect()
            })
            .collect();
        let long_context = (0..config.pools.len())
            .map(|i| {
                let l = config.long_context_pools.get(i).copied().flatten()?;
                Some(Pool::new(l, config.limiter))
            })
            .collect();
        Provider {
            long_context,
            acceleration: config
                .pools
                .iter()
                .map(|_| config.acceleration.map(AccelerationGuard::new))
                .collect(),
            overload: config.overload.clone(),
            pools,
            workspaces,
            cache: PromptCacheStore::default(),
            spend: config.spend.map(SpendMeter::new),
            config,
            rng,
            rate_limit_headers: true,
            retry_after: true,
        }
    }

    /// Whether responses carry the `anthropic-ratelimit-*` values (default
    /// on). Turn them off for a client that never reads them: the numbers
    /// it sees are otherwise the same.
    pub fn send_rate_limit_headers(&mut self, on: bool) {
        self.rate_limit_headers = on;
    }

    /// Whether 429s carry `retry-after` (default on). Turn it off for a
    /// client that never reads it: working out when a rejected request
    /// would fit is most of a 429's cost, and everything else about the
    /// response is the same (the 429 then has `retry_after_s: None`).
    pub fn send_retry_after(&mut self, on: bool) {
        self.retry_after = on;
    }

    /// The configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// Adds spend made outside [`Provider::handle`] (Batch API results) to
    /// the month's total.
    pub fn record_spend(&mut self, now: SimTime, usd: f64) {
        if let Some(m) = &mut self.spend {
            m.record(now, usd);
        }
    }

    /// Spent so far in the current calendar month, USD (`None` when no
    /// spend limit is enforced).
    pub fn spent_this_month(&mut self, now: SimTime) -> Option<f64> {
        self.spend.as_mut().map(|m| m.spent_usd(now))
    }

    /// Direct access to a pool, for tests and invariant checks.
    pub fn pool_mut(&mut self, index: usize) -> &mut Pool {
        &mut self.pools[index]
    }

    /// Handles one attempt sent at `now`.
    pub fn handle(&mut self, now: SimTime, a: &Attempt) -> Response {
        let model = &self.config.models[a.model as usize];
        let rtt = self.config.network_rtt;
        let output = a.output_tokens.min(a.max_tokens);
        // Resolve the cacheable prefix against the cache as it is now.
        let (mut input, mut read, mut write, mut write_1h) =
            (a.input_tokens, a.cache_read_tokens, a.cache_write_tokens, 0);
        let mut prefix_hit = None;
        if let Some(p) = &a.prefix {
            let hit = match p.forced_hit {
                _ if p.tokens < model.min_cacheable_tokens => None,
                Some(h) => Some(h),
                None => Some(self.cache.is_warm(now, a.model, p)),
            };
            match hit {
                None => input += p.tokens, // processed without caching, no error
                Some(true) => read += p.tokens,
                Some(false) => {
                    write += p.tokens;
                    if p.ttl == CacheTtl::OneHour {
                        write_1h += p.tokens;
                    }
                }
            }
            prefix_hit = hit.filter(|_| p.forced_hit.is_none());
        }
        let itpm_tokens = input
            + write
            + if model.itpm_counts_cache_reads {
                read
            } else {
                0
            };
        // The admission check needs only the sizes; the timing is worked
        // out below for admitted attempts (most attempts in a storm are not).
        let mut demand = Demand {
            itpm_tokens,
            max_tokens: a.max_tokens,
            output_tokens: output,
            output_estimate: a.max_tokens,
            generation_start: now,
            finish: now,
        };
        let pool_index = model.pool;
        let total_input = input + read + write;
        let long = model.is_long_context(total_input) && self.long_context[pool_index].is_some();
        let verdict = if long {
            self.long_context_verdict(now, pool_index, &demand)
        } else {
            self.verdict(now, pool_index, a.workspace, &demand)
        };
        let mut response = Response {
            status: Status::Ok,
            headers: None,
            retry_after_s: None,
            retry_after_ms: None,
            should_retry: false,
            usage: None,
            limited_by_workspace: false,
            oversized: false,
            server_time: now,
            received_at: now + rtt,
        };
        let paused = self.spend.as_mut().and_then(|m| m.paused_until(now));
        let verdict = match (paused, &self.spend) {
            (Some(_), Some(m)) => {
                // Usage is paused: no attempt reaches the limiters.
                match m.limit().kind {
                    SpendLimitKind::Tier => {
                        response.status = Status::RateLimited(Dimension::Spend);
                        response.should_retry = true;
                    }
                    SpendLimitKind::SelfSet => {
                        response.status = Status::InvalidRequest(Dimension::Spend);
                    }
                }
                None
            }
            _ => Some(verdict),
        };
        match verdict {
            None => {}
            Some((Verdict::Never { dimension }, ws)) => {
                response.limited_by_workspace = ws;
                match self.config.limiter.oversized {
                    Oversized::TooLarge => response.status = Status::TooLarge(dimension),
                    Oversized::RateLimited => {
                        // A 429 like any other, whose wait never helps:
                        // `retry-after` is the time to a full bucket.
                        let pool = match self.workspace_pool(a.workspace, pool_index) {
                            Some(p) if ws => p,
                            _ if long => self.long_context[pool_index]
                                .as_mut()
                                .unwrap_or(&mut self.pools[pool_index]),
                            _ => &mut self.pools[pool_index],
                        };
                        let full = pool.reset_at(now, dimension).unwrap_or(now);
                        let wait = full.saturating_sub(now).as_nanos();
                        response.status = Status::RateLimited(dimension);
                        response.retry_after_s = self
                            .retry_after
                            .then(|| wait.div_ceil(SimTime::NANOS_PER_SEC).max(1));
                        response.should_retry = true;
                        response.oversized = true;
                    }
                }
            }
            Some((Verdict::Reject { dimension, fits_at }, ws)) => {
                let wait = fits_at.saturating_sub(now).as_nanos();
                let secs = wait.div_ceil(SimTime::NANOS_PER_SEC).max(1);
                response.status = Status::RateLimited(dimension);
                response.retry_after_s = self.retry_after.then_some(secs);
                response.should_retry = true;
                response.limited_by_workspace = ws;
            }
            Some((Verdict::Admit, _)) => {
                let p = self.overload.probability_at(now);
                if p > 0.0 && self.rng.random::<f64>() < p {
                    response.status = Status::Overloaded;
                    response.should_retry = true;
                } else {
                    let model = &self.config.models[a.model as usize];
                    let (generation_start, mut finish) =
                        service(model, a.service_factor, now, output);
                    let mut output = output;
                    let m = self.overload.mid_stream;
                    if m > 0.0 && self.rng.random::<f64>() < m {
                        // Cut at a uniform point of the generation: the
                        // tokens produced so far count and are billed.
                        let u: f64 = self.rng.random();
                        let span = finish.saturating_sub(generation_start).as_nanos();
                        finish = generation_start + SimTime((span as f64 * u) as u64);
                        output = (output as f64 * u) as u64;
                        demand.output_tokens = output;
                        response.status = Status::Overloaded;
                    }
                    demand.generation_start = generation_start;
                    demand.finish = finish;
                    match self.long_context[pool_index].as_mut().filter(|_| long) {
                        Some(lc) => lc.admit(now, &demand),
                        None => {
                            self.pools[pool_index].admit(now, &demand);
                            if let Some(ws) = self.workspace_pool(a.workspace, pool_index) {
                                ws.admit(now, &demand);
                            }
                        }
                    }
                    if let Some(g) = &mut self.acceleration[pool_index] {
                        g.record(now);
                    }
                    match (&a.prefix, prefix_hit) {
                        (Some(p), Some(true)) => self.cache.read(now, a.model, p),
                        (Some(p), Some(false)) => {
                            self.cache.write(now, generation_start, a.model, p)
                        }
                        _ => {}
                    }
                    let usage = Usage {
                        input_tokens: input,
                        output_tokens: output,
                        cache_read_input_tokens: read,
                        cache_creation_input_tokens: write,
                        cache_creation_1h_input_tokens: write_1h,
                    };
                    if let Some(meter) = &mut self.spend {
                        let prices = self.config.models[a.model as usize].prices_for(total_input);
                        meter.record(now, usage.cost_usd(prices));
                    }
                    response.usage = Some(usage);
                    response.received_at = finish + rtt;
                }
            }
        }
        if self.rate_limit_headers {
            if long && let Some(lc) = self.long_context[pool_index].as_mut() {
                response.headers = Some(lc.headers(now));
                return response;
            }
            let org = self.pools[pool_index].headers(now);
            response.headers = Some(match self.workspace_pool(a.workspace, pool_index) {
                Some(ws) => org.most_restrictive(&ws.headers(now)),
                None => org,
            });
        }
        response
    }

    /// The verdict of the long-context pool of `pool` (organisation-wide:
    /// workspace caps and the acceleration rule are not applied to it).
    fn long_context_verdict(&mut self, now: SimTime, pool: usize, d: &Demand) -> (Verdict, bool) {
        match self.long_context[pool].as_mut() {
            Some(lc) => (lc.check_with(now, d, self.retry_after), false),
            None => (Verdict::Admit, false),
        }
    }

    fn workspace_pool(&mut self, workspace: Option<u16>, pool: usize) -> Option<&mut Pool> {
        self.workspaces.get_mut(workspace? as usize)?.get_mut(pool)
    }

    /// The organisation's verdict combined with the workspace's and the
    /// acceleration rule: admitted only if all admit; the later `fits_at`
    /// wins. The flag says whether the workspace cap was what bound.
    fn verdict(
        &mut self,
        now: SimTime,
        pool: usize,
        workspace: Option<u16>,
        d: &Demand,
    ) -> (Verdict, bool) {
        let fit = self.retry_after;
        let org = self.pools[pool].check_with(now, d, fit);
        let ws = match self.workspace_pool(workspace, pool) {
            Some(p) => p.check_with(now, d, fit),
            None => Verdict::Admit,
        };
        let combined = match (ws, org) {
            (Verdict::Never { .. }, _) => (ws, true),
            (_, Verdict::Never { .. }) => (org, false),
            (
                Verdict::Reject {
                    dimension,
                    fits_at: a,
                },
                Verdict::Reject { fits_at: b, .. },
            ) => (
                Verdict::Reject {
                    dimension,
                    fits_at: a.max(b),
                },
                true,
            ),
            (Verdict::Reject { .. }, Verdict::Admit) => (ws, true),
            (Verdict::Admit, _) => (org, false),
        };
        if combined.0 != Verdict::Admit {
            return combined;
        }
        match self.acceleration[pool].as_mut().map(|g| g.check(now)) {
            Some(Err(fits_at)) => (
                Verdict::Reject {
                    dimension: Dimension::Acceleration,
                    fits_at,
                },
                false,
            ),
            _ => combined,
        }
    }
}
/// When generation starts (after time to first token) and ends, for an
/// attempt admitted at `now`; `factor` scales the model's service time
/// (lognormal noise; anything not positive and finite counts as 1).
fn service(model: &ModelSpec, factor: f64, now: SimTime, output: u64) -> (SimTime, SimTime) {
    let factor = if factor.is_finite() && factor > 0.0 {
        factor
    } else {
        1.0
    };
    let ttft = SimTime::from_secs_f64(model.latency.ttft.as_secs_f64() * factor);
    let gen_s = if model.latency.output_tokens_per_s > 0.0 {
        output as f64 / model.latency.output_tokens_per_s * factor
    } else {
        0.0
    };
    let generation_start = now + ttft;
    (
        generation_start,
        generation_start + SimTime::from_secs_f64(gen_s),
    )
}
