//! A stream: its specification and the generator that draws (or, for a
//! trace, replays) its logical requests in arrival order.

use rand::RngExt;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::Zipf;

use super::arrivals::{ArrivalClock, ArrivalProcess, Spike};
use super::dist::{TokenDist, TokenSampler};
use super::request::LogicalRequest;
use super::trace::{TraceCursor, TraceReplay};
use crate::engine::SimTime;
use crate::model::{CachePrefix, CacheTtl};

/// How often each of a stream's distinct prefixes is used.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Popularity {
    /// Every prefix equally likely.
    Uniform,
    /// Zipf with exponent `s`: prefix k is used ∝ 1/k^s.
    Zipf(f64),
}

/// A stream's cacheable prompt prefixes (system prompts, shared documents).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PromptCache {
    /// Tokens in each cacheable prefix.
    pub prefix_tokens: u64,
    /// How many distinct prefixes the stream uses.
    pub prefixes: u32,
    /// Which prefix a request uses.
    pub popularity: Popularity,
    /// Cache lifetime asked for.
    pub ttl: CacheTtl,
    /// Overrides the emergent hit rate: the prefix is read with this
    /// probability and written otherwise, whatever the cache holds.
    pub hit_rate: Option<f64>,
}

/// One traffic class as the scenario describes it.
#[derive(Clone, Debug, PartialEq)]
pub struct StreamSpec {
    /// Stream name.
    pub name: String,
    /// Model index (into the provider's model list).
    pub model: u16,
    /// Priority class index (0 is the most important).
    pub class: u8,
    /// When requests arrive.
    pub arrivals: ArrivalProcess,
    /// Extra scheduled requests.
    pub spikes: Vec<Spike>,
    /// Uncached input tokens per request.
    pub input_tokens: TokenDist,
    /// Output tokens the model generates (capped at `max_tokens`).
    pub output_tokens: TokenDist,
    /// The request's `max_tokens`.
    pub max_tokens: TokenDist,
    /// Optional cacheable prefix.
    pub prompt_cache: Option<PromptCache>,
    /// Give up this long after arrival.
    pub deadline: Option<SimTime>,
    /// Workspace whose key the stream uses.
    pub workspace: Option<u16>,
    /// Always sent through the Message Batches API.
    pub batch: bool,
    /// Replays a usage trace instead of drawing arrivals and sizes (then
    /// `arrivals` is `None`, there are no spikes and only `max_tokens` is
    /// drawn, for rows that do not record it).
    pub trace: Option<TraceReplay>,
}

/// Generates one stream's logical requests in arrival order.
#[derive(Clone, Debug)]
pub struct StreamGen {
    index: u16,
    spec: StreamSpec,
    clock: ArrivalClock,
    input: TokenSampler,
    output: TokenSampler,
    max_tokens: TokenSampler,
    arrival_rng: ChaCha8Rng,
    size_rng: ChaCha8Rng,
    horizon: SimTime,
    next_base: Option<SimTime>,
    spike_times: Vec<SimTime>,
    spike_pos: usize,
    zipf: Option<Zipf<f64>>,
    trace: Option<TraceCursor>,
}

impl StreamGen {
    /// A generator for arrivals before `horizon`. `arrival_rng` drives the
    /// arrival times and `size_rng` the token counts, so changing one
    /// distribution does not shift the other.
    pub fn new(
        index: u16,
        spec: StreamSpec,
        horizon: SimTime,
        mut arrival_rng: ChaCha8Rng,
        size_rng: ChaCha8Rng,
    ) -> Result<StreamGen, String> {
        let mut clock = ArrivalClock::new(spec.arrivals.clone());
        let next_base = clock.next(&mut arrival_rng, horizon);
        let mut spike_times = Vec::new();
        for s in &spec.spikes {
            for k in 0..s.count {
                let offset = if s.count > 1 {
                    s.over.as_nanos() as u128 * k as u128 / s.count as u128
                } else {
                    0
                };
                let t = s.at.saturating_add(SimTime(offset as u64));
                if t < horizon {
                    spike_times.push(t);
                }
            }
        }
        spike_times.sort_unstable();
        let trace = spec
            .trace
            .clone()
            .map(|r| TraceCursor::new(r, horizon, &mut arrival_rng));
        let zipf = match spec.prompt_cache {
            Some(PromptCache {
                popularity: Popularity::Zipf(exp),
                prefixes,
                hit_rate: None,
                ..
            }) => Some(
                Zipf::new(prefixes.max(1) as f64, exp)
                    .map_err(|e| format!("prompt_cache zipf: {e}"))?,
            ),
            _ => None,
        };
        Ok(StreamGen {
            zipf,
            trace,
            index,
            input: spec.input_tokens.sampler()?,
            output: spec.output_tokens.sampler()?,
            max_tokens: spec.max_tokens.sampler()?,
            spec,
            clock,
            arrival_rng,
            size_rng,
            horizon,
            next_base,
            spike_times,
            spike_pos: 0,
        })
    }

    /// The stream's specification.
    pub fn spec(&self) -> &StreamSpec {
        &self.spec
    }

    /// Time of the next request, if any.
    pub fn peek(&self) -> Option<SimTime> {
        if let Some(t) = &self.trace {
            return t.peek();
        }
        let spike = self.spike_times.get(self.spike_pos).copied();
        match (self.next_base, spike) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next request in arrival order.
    pub fn next_request(&mut self) -> Option<LogicalRequest> {
        if let Some(t) = &mut self.trace {
            return t.next_request(
                self.index,
                self.spec.deadline,
                self.spec.workspace,
                &self.max_tokens,
                &mut self.arrival_rng,
                &mut self.size_rng,
            );
        }
        let spike = self.spike_times.get(self.spike_pos).copied();
        let arrival = match (self.next_base, spike) {
            (Some(b), Some(s)) if s < b => {
                self.spike_pos += 1;
                s
            }
            (Some(b), _) => {
                self.next_base = self.clock.next(&mut self.arrival_rng, self.horizon);
                b
            }
            (None, Some(s)) => {
                self.spike_pos += 1;
                s
            }
            (None, None) => return None,
        };
        let rng = &mut self.size_rng;
        let input_tokens = self.input.sample(rng);
        let max_tokens = self.max_tokens.sample(rng).max(1);
        let output_tokens = self.output.sample(rng).min(max_tokens);
        let (mut cache_read_tokens, mut cache_write_tokens, mut prefix) = (0, 0, None);
        match (self.spec.prompt_cache, &self.zipf) {
            (Some(c), _) if c.prefix_tokens == 0 => {}
            (
                Some(PromptCache {
                    prefix_tokens,
                    hit_rate: Some(h),
                    ..
                }),
                _,
            ) => {
                let hit: f64 = rng.random();
                if hit < h {
                    cache_read_tokens = prefix_tokens;
                } else {
                    cache_write_tokens = prefix_tokens;
                }
            }
            (Some(c), zipf) => {
                let k: u64 = match zipf {
                    Some(z) => (z.sample(rng) as u64).saturating_sub(1),
                    None => rng.random_range(0..c.prefixes.max(1) as u64),
                };
                prefix = Some(CachePrefix {
                    key: (self.index as u64) << 32 | k,
                    tokens: c.prefix_tokens,
                    ttl: c.ttl,
                });
            }
            (None, _) => {}
        }
        Some(LogicalRequest {
            stream: self.index,
            class: self.spec.class,
            model: self.spec.model,
            arrival,
            input_tokens,
            cache_read_tokens,
            cache_write_tokens,
            prefix,
            max_tokens,
            output_tokens,
            deadline: self.spec.deadline.map(|d| arrival + d),
            workspace: self.spec.workspace,
        })
    }
}
