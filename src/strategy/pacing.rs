//! Pacing layers: hold a request until the client believes it fits.

use std::collections::VecDeque;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::StrategyError;
use super::throttle::ThrottleWindow;
use crate::engine::SimTime;
use crate::model::bucket::{SCALE, TokenBucket};
use crate::model::{LimitHeader, PoolLimits, Response, Status};

/// What a request is expected to cost: requests, input tokens, output tokens.
pub type Cost = [u64; 3];

/// How the client paces its sends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum PacingSpec {
    /// Send as soon as the queue and concurrency allow.
    None,
    /// Client-side buckets at `fraction` of the configured tier limits.
    TokenBucket {
        /// Share of each limit the client allows itself.
        fraction: f64,
    },
    /// Learn the limits and headroom from response headers.
    HeaderDriven {
        /// Tokens kept in reserve against header rounding (to the nearest thousand).
        safety_tokens: u64,
    },
    /// Google SRE client-side throttling (see `strategy/throttle.rs`): reject
    /// locally with probability `max(0, (requests − k·accepts)/(requests + 1))`.
    AdaptiveThrottle {
        /// Multiplier on accepts (the book's K; 2 by default).
        k: f64,
        /// Trailing window the counts cover (2 minutes by default).
        window: SimTime,
    },
}

impl PacingSpec {
    /// Default SRE-book multiplier on accepts.
    pub const THROTTLE_K: f64 = 2.0;
    /// Default SRE-book window.
    pub const THROTTLE_WINDOW: SimTime = SimTime(120 * SimTime::NANOS_PER_SEC);

    /// Adaptive throttling with the given fields replacing those of `prev`
    /// (or the defaults), validated.
    pub fn adaptive_throttle(
        prev: PacingSpec,
        k: Option<f64>,
        window: Option<SimTime>,
    ) -> Result<PacingSpec, StrategyError> {
        let (k0, w0) = match prev {
            PacingSpec::AdaptiveThrottle { k, window } => (k, window),
            _ => (Self::THROTTLE_K, Self::THROTTLE_WINDOW),
        };
        let k = k.unwrap_or(k0);
        let window = window.unwrap_or(w0);
        if !(k.is_finite() && k > 0.0) {
            return Err(StrategyError::ThrottleK(k));
        }
        if window < SimTime::from_secs(1) || window > SimTime::from_secs(3600) {
            return Err(StrategyError::ThrottleWindow(window));
        }
        Ok(PacingSpec::AdaptiveThrottle { k, window })
    }
}

/// Per-pool state of the header-driven pacer.
#[derive(Clone, Debug, Default)]
struct HeaderEstimate {
    /// Local buckets seeded from the newest headers; `None` before any response.
    buckets: Option<[Option<TokenBucket>; 3]>,
    observed_at: SimTime,
    /// Sends since `observed_at`, replayed when newer headers arrive.
    sends: VecDeque<(SimTime, Cost)>,
    probe_in_flight: bool,
    paused_until: SimTime,
}

/// The running pacer.
#[derive(Clone, Debug)]
pub enum Pacer {
    /// No pacing.
    None,
    /// Client-side token buckets per pool.
    Budget {
        /// Per pool: RPM, ITPM, OTPM buckets (absent where unlimited).
        buckets: Vec<[Option<TokenBucket>; 3]>,
    },
    /// Header-driven estimates per pool.
    Headers {
        /// Per-pool estimates.
        pools: Vec<HeaderEstimateBox>,
        /// Tokens held back against rounding.
        safety_tokens: u64,
    },
    /// Client-side throttling: request and accept counts per pool.
    Throttle {
        /// Per-pool counts.
        pools: Vec<ThrottleWindow>,
        /// Multiplier on accepts.
        k: f64,
    },
}

/// Opaque per-pool header state.
#[derive(Clone, Debug, Default)]
pub struct HeaderEstimateBox(HeaderEstimate);

const MINUTE: SimTime = SimTime(SimTime::NANOS_PER_MIN);

impl Pacer {
    /// A pacer for `limits.len()` pools. Only the token-bucket pacer reads the
    /// limits: they are what the user configured the client with.
    pub fn new(spec: PacingSpec, limits: &[PoolLimits]) -> Pacer {
        match spec {
            PacingSpec::None => Pacer::None,
            PacingSpec::TokenBucket { fraction } => Pacer::Budget {
                buckets: limits
                    .iter()
                    .map(|l| {
                        [l.rpm, l.itpm, l.otpm].map(|x| {
                            x.map(|limit| {
                                let scaled = ((limit as f64) * fraction).floor().max(1.0) as u64;
                                TokenBucket::new(scaled, MINUTE)
                            })
                        })
                    })
                    .collect(),
            },
            PacingSpec::HeaderDriven { safety_tokens } => Pacer::Headers {
                pools: vec![HeaderEstimateBox::default(); limits.len()],
                safety_tokens,
            },
            PacingSpec::AdaptiveThrottle { k, window } => Pacer::Throttle {
                pools: vec![ThrottleWindow::new(window); limits.len()],
                k,
            },
        }
    }

    /// Whether to reject the attempt about to go to `pool` locally. Only the
    /// adaptive throttle ever does; it draws from `rng` only when the
    /// probability is positive, and counts a rejection as a request at once
    /// (an attempt it lets through is counted when its response arrives).
    pub fn throttles(&mut self, now: SimTime, pool: usize, rng: &mut ChaCha8Rng) -> bool {
        match self {
            Pacer::Throttle { pools, k } => {
                let w = &mut pools[pool];
                let p = w.reject_probability(now, *k);
                let reject = p > 0.0 && rng.random::<f64>() < p;
                if reject {
                    w.record_request(now);
                }
                reject
            }
            _ => false,
        }
    }

    /// Earliest time a request of `cost` may be sent to `pool`, keeping
    /// `reserve` (a share of each limit) free for more important classes.
    /// [`SimTime::MAX`] means "wait for a response".
    pub fn ready_at(&mut self, now: SimTime, pool: usize, cost: Cost, reserve: f64) -> SimTime {
        match self {
            Pacer::None | Pacer::Throttle { .. } => now,
            Pacer::Budget { buckets } => ready_at(&buckets[pool], now, cost, reserve),
            Pacer::Headers { pools, .. } => {
                let est = &mut pools[pool].0;
                let Some(buckets) = &est.buckets else {
                    // Nothing known yet: one probe at a time.
                    return if est.probe_in_flight {
                        SimTime::MAX
                    } else {
                        now
                    };
                };
                ready_at(buckets, now, cost, reserve).max(est.paused_until)
            }
        }
    }

    /// Records a send.
    pub fn charge(&mut self, now: SimTime, pool: usize, cost: Cost) {
        match self {
            Pacer::None | Pacer::Throttle { .. } => {}
            Pacer::Budget { buckets } => debit(&mut buckets[pool], now, cost),
            Pacer::Headers { pools, .. } => {
                let est = &mut pools[pool].0;
                match &mut est.buckets {
                    None => est.probe_in_flight = true,
                    Some(b) => {
                        debit(b, now, cost);
                        est.sends.push_back((now, cost));
                    }
                }
            }
        }
    }

    /// Learns from a response to a request that was charged `cost`.
    #[inline]
    pub fn observe(&mut self, now: SimTime, pool: usize, cost: Cost, r: &Response) {
        // Inlined test: without a pacer (most strategies) there is no call.
        if !matches!(self, Pacer::None) {
            self.observe_paced(now, pool, cost, r);
        }
    }

    fn observe_paced(&mut self, now: SimTime, pool: usize, cost: Cost, r: &Response) {
        match self {
            Pacer::None => {}
            Pacer::Throttle { pools, .. } => {
                let w = &mut pools[pool];
                w.record_request(now);
                if !matches!(r.status, Status::RateLimited(_) | Status::Overloaded) {
                    w.record_accept(now);
                }
            }
            Pacer::Budget { buckets } => {
                // Reconcile the estimate with what the server actually counted.
                let actual: Cost = match (r.status, r.usage) {
                    (Status::Ok, Some(u)) => [
                        1,
                        u.input_tokens + u.cache_creation_input_tokens,
                        u.output_tokens,
                    ],
                    _ => [0, 0, 0],
                };
                for (i, b) in buckets[pool].iter_mut().enumerate() {
                    if let Some(b) = b {
                        let diff = cost[i] as i128 - actual[i] as i128;
                        if diff > 0 {
                            b.credit(now, diff * SCALE);
                        } else if diff < 0 {
                            b.debit(now, -diff * SCALE);
                        }
                    }
                }
            }
            Pacer::Headers {
                pools,
                safety_tokens,
            } => {
                let est = &mut pools[pool].0;
                est.probe_in_flight = false;
                if let Some(s) = r.retry_after_s {
                    let until = r.server_time + SimTime::from_secs(s);
                    est.paused_until = est.paused_until.max(until);
                }
                if est.buckets.is_some() && r.server_time < est.observed_at {
                    return; // stale: a newer response already arrived
                }
                let Some(h) = &r.headers else {
                    return; // the provider was told nobody reads them
                };
                let seed = |x: Option<LimitHeader>, safety: u64| {
                    x.map(|x| {
                        let level = x.remaining as i64 - safety as i64;
                        TokenBucket::with_level(x.limit, MINUTE, level, r.server_time)
                    })
                };
                let mut buckets = [
                    seed(h.requests, 0),
                    seed(h.input_tokens, *safety_tokens),
                    seed(h.output_tokens, *safety_tokens),
                ];
                while est.sends.front().is_some_and(|(t, _)| *t <= r.server_time) {
                    est.sends.pop_front();
                }
                for &(t, c) in &est.sends {
                    debit(&mut buckets, t, c);
                }
                est.buckets = Some(buckets);
                est.observed_at = r.server_time;
            }
        }
    }
}

fn ready_at(buckets: &[Option<TokenBucket>; 3], now: SimTime, cost: Cost, reserve: f64) -> SimTime {
    let mut t = now;
    for (i, b) in buckets.iter().enumerate() {
        let Some(b) = b else { continue };
        let cap = b.capacity_scaled();
        let held = (cap as f64 * reserve.clamp(0.0, 1.0)) as i128;
        // A request larger than the whole budget waits for a full bucket.
        let need = (cost[i] as i128 * SCALE + held).min(cap);
        match b.wait_static(now, need) {
            Some(w) => t = t.max(w),
            None => return SimTime::MAX,
        }
    }
    t
}

fn debit(buckets: &mut [Option<TokenBucket>; 3], now: SimTime, cost: Cost) {
    for (i, b) in buckets.iter_mut().enumerate() {
        if let Some(b) = b {
            b.debit(now, cost[i] as i128 * SCALE);
        }
    }
}
