//! A stream: its specification and the generator that draws (or, for a
//! trace, replays) its logical requests in arrival order.

use rand::RngExt;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::Zipf;

use super::WorkloadError;
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
    /// Output tokens the model would generate; a request's output is cut to
    /// its `max_tokens` (and counted as truncated) when this is larger.
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
    ) -> Result<StreamGen, WorkloadError> {
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
            }) => Some(Zipf::new(prefixes.max(1) as f64, exp).map_err(WorkloadError::Zipf)?),
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
        let natural_output = self.output.sample(rng);
        let output_tokens = natural_output.min(max_tokens);
        let (cache_read_tokens, cache_write_tokens, mut prefix) = (0, 0, None);
        match (self.spec.prompt_cache, &self.zipf) {
            (Some(c), _) if c.prefix_tokens == 0 => {}
            (
                Some(PromptCache {
                    prefix_tokens,
                    hit_rate: Some(h),
                    ttl,
                    ..
                }),
                _,
            ) => {
                // The hit is drawn here; the server still applies the
                // minimum cacheable length and prices the TTL.
                let hit: f64 = rng.random();
                prefix = Some(CachePrefix {
                    key: (self.index as u64) << 32,
                    tokens: prefix_tokens,
                    ttl,
                    forced_hit: Some(hit < h),
                });
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
                    forced_hit: None,
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
            truncated: natural_output > max_tokens,
            deadline: self.spec.deadline.map(|d| arrival + d),
            workspace: self.spec.workspace,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The first `n` requests of a stream with these output and
    /// `max_tokens` distributions (evenly spaced arrivals, 600 a minute).
    fn draw(output: TokenDist, max_tokens: TokenDist, n: u64) -> Vec<LogicalRequest> {
        let spec = StreamSpec {
            name: "s".into(),
            model: 0,
            class: 0,
            arrivals: ArrivalProcess::Constant {
                rate_per_min: 600.0,
            },
            spikes: Vec::new(),
            input_tokens: TokenDist::Constant(100),
            output_tokens: output,
            max_tokens,
            prompt_cache: None,
            deadline: None,
            workspace: None,
            batch: false,
            trace: None,
        };
        let horizon = SimTime::from_secs(n);
        let mut g = StreamGen::new(
            0,
            spec,
            horizon,
            ChaCha8Rng::seed_from_u64(1),
            ChaCha8Rng::seed_from_u64(2),
        )
        .unwrap();
        std::iter::from_fn(|| g.next_request())
            .take(n as usize)
            .collect()
    }

    #[test]
    fn output_longer_than_max_tokens_is_cut_and_flagged() {
        let r = draw(TokenDist::Constant(2000), TokenDist::Constant(1024), 100);
        assert_eq!(r.len(), 100);
        assert!(r.iter().all(|r| r.truncated && r.output_tokens == 1024));
    }

    #[test]
    fn output_that_fits_max_tokens_exactly_is_not_truncated() {
        for out in [1023, 1024] {
            let r = draw(TokenDist::Constant(out), TokenDist::Constant(1024), 100);
            assert_eq!(r.len(), 100);
            assert!(r.iter().all(|r| !r.truncated && r.output_tokens == out));
        }
    }

    #[test]
    fn uniform_output_is_truncated_in_its_closed_form_share() {
        // Output uniform on 0..=1999, max_tokens 1000: the 999 values
        // 1001..=1999 of 2000 are cut, p = 0.4995.
        let n = 20_000;
        let r = draw(
            TokenDist::Uniform { min: 0, max: 1999 },
            TokenDist::Constant(1000),
            n,
        );
        assert_eq!(r.len() as u64, n);
        let cut = r.iter().filter(|r| r.truncated).count() as f64;
        let p = 999.0 / 2000.0;
        let sd = (p * (1.0 - p) / n as f64).sqrt();
        let share = cut / n as f64;
        assert!(
            (share - p).abs() < 4.0 * sd,
            "share {share}, expected {p} ± {}",
            4.0 * sd
        );
        // A truncated request generates exactly max_tokens; an untruncated
        // one at most that.
        assert!(r.iter().all(|r| r.output_tokens <= 1000));
        assert!(
            r.iter()
                .filter(|r| r.truncated)
                .all(|r| r.output_tokens == 1000)
        );
        // Output 1000 comes from the cut draws and from drawing 1000 itself
        // (expected n / 2000 = 10 times), which is not a truncation.
        let at_max = r.iter().filter(|r| r.output_tokens == 1000).count() as f64;
        assert!((1.0..=40.0).contains(&(at_max - cut)), "{at_max} vs {cut}");
    }
}
