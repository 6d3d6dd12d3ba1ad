//! The Message Batches API: its own pool, a processing queue, and turnaround.
//!
//! Anthropic documents (batch-processing page, see
//! [`catalog::BATCH_SOURCE`](super::catalog::BATCH_SOURCE)): a batch holds at
//! most 100,000 requests; an organisation may have a tier-dependent number of
//! batch requests "in the processing queue" and a rate limit over all batch
//! endpoints; "most batches complete within 1 hour" and a batch that is not
//! done within 24 hours expires (its requests are not billed); processing "may
//! be slowed down based on current demand and your request volume". All usage
//! is billed at 50 % of list prices.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;

use super::bucket::{SCALE, TokenBucket};
use super::catalog::BatchLimits;
use crate::engine::SimTime;

/// How the Batch API is modelled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchConfig {
    /// Published limits.
    pub limits: BatchLimits,
    /// Median time from submission to results (lognormal).
    pub turnaround_median: SimTime,
    /// Log-space sigma of the turnaround.
    pub turnaround_sigma: f64,
    /// Extra processing time per request in the batch (volume slows it down).
    pub per_request: SimTime,
    /// A batch not done by then expires; its unprocessed requests are
    /// `expired`, unbilled, one by one.
    pub expiry: SimTime,
    /// Share of batch requests whose cacheable prefix is read from the
    /// cache: the docs call batch cache hits "best-effort", typically
    /// 30 %-98 %; ratesim defaults to the low end.
    pub cache_hit_rate: f64,
}

/// Bytes a token takes in a batch request's JSON, for the 256 MB batch limit
/// (an assumption: about four characters of text per token).
pub const BYTES_PER_TOKEN: u64 = 4;

/// The largest batch in bytes: "256 MB" read as 256,000,000 bytes (the
/// stricter reading; above it the API answers 413 `request_too_large`).
pub const MAX_BATCH_BYTES: u64 = super::catalog::BATCH_MAX_MB * 1_000_000;

/// The answer to a batch submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchSubmit {
    /// Accepted: results at `done_at`, or the batch expires then.
    Accepted {
        /// When results (or the expiry) arrive.
        done_at: SimTime,
        /// How many of its requests, in submission order, were processed
        /// before the 24-hour expiry; the rest are `expired` (the API
        /// counts them per request) and not billed.
        completed: u64,
    },
    /// Rejected for its size: more requests than a batch may hold (400
    /// `invalid_request_error`) or more than 256 MB (413
    /// `request_too_large`). Nothing is queued; split it and resubmit.
    TooLarge {
        /// The largest number of requests a batch may hold.
        max_requests: u64,
        /// The largest batch in bytes.
        max_bytes: u64,
    },
    /// 429: the processing queue is full or the endpoint rate is exceeded.
    RateLimited {
        /// Earliest time the same submission would be accepted.
        retry_at: SimTime,
    },
}

/// The provider's Batch API state.
pub struct BatchApi {
    config: BatchConfig,
    rpm: TokenBucket,
    queued: u64,
    /// (done time, requests) of batches still in the processing queue.
    in_process: BinaryHeap<Reverse<(SimTime, u64)>>,
    turnaround: LogNormal<f64>,
    rng: ChaCha8Rng,
}

impl BatchApi {
    /// An idle Batch API; `rng` draws turnarounds.
    pub fn new(config: BatchConfig, rng: ChaCha8Rng) -> BatchApi {
        let turnaround = LogNormal::new(
            config.turnaround_median.as_secs_f64().max(1e-9).ln(),
            config.turnaround_sigma.max(0.0),
        )
        .unwrap_or_else(|_| {
            // Invariant: LogNormal::new fails only for a non-finite mu or a
            // negative or non-finite sigma; (0, 0) is neither.
            #[allow(clippy::expect_used)]
            LogNormal::new(0.0, 0.0).expect("mu 0, sigma 0 is valid")
        });
        BatchApi {
            rpm: TokenBucket::new(config.limits.rpm, SimTime(SimTime::NANOS_PER_MIN)),
            config,
            queued: 0,
            in_process: BinaryHeap::new(),
            turnaround,
            rng,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &BatchConfig {
        &self.config
    }

    /// Batch requests in the processing queue at `now`.
    pub fn queued(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        self.queued
    }

    fn advance(&mut self, now: SimTime) {
        while let Some(&Reverse((t, n))) = self.in_process.peek() {
            if t > now {
                break;
            }
            self.in_process.pop();
            self.queued -= n;
        }
    }

    /// Submits a batch of `n` requests taking `bytes` bytes. A batch over
    /// `max_batch_requests` or [`MAX_BATCH_BYTES`] is refused, not cut.
    pub fn submit(&mut self, now: SimTime, n: u64, bytes: u64) -> BatchSubmit {
        self.advance(now);
        if n > self.config.limits.max_batch_requests || bytes > MAX_BATCH_BYTES {
            return BatchSubmit::TooLarge {
                max_requests: self.config.limits.max_batch_requests,
                max_bytes: MAX_BATCH_BYTES,
            };
        }
        let mut retry_at = now;
        if self.queued + n > self.config.limits.max_queued_requests {
            // Wait until enough of the queue has been processed.
            let mut left = self.queued + n - self.config.limits.max_queued_requests;
            let mut done: Vec<(SimTime, u64)> = self.in_process.iter().map(|r| r.0).collect();
            done.sort_unstable();
            for (t, k) in done {
                retry_at = t;
                left = left.saturating_sub(k);
                if left == 0 {
                    break;
                }
            }
        }
        if let Some(t) = self.rpm.wait_static(now, SCALE) {
            retry_at = retry_at.max(t);
        }
        if retry_at > now {
            return BatchSubmit::RateLimited { retry_at };
        }
        self.rpm.debit(now, SCALE);
        let draw: f64 = self.turnaround.sample(&mut self.rng);
        let took = SimTime::from_secs_f64(draw)
            + SimTime(self.config.per_request.as_nanos().saturating_mul(n));
        // Requests are processed at an even pace over `took`; those not
        // reached by the expiry expire one by one.
        let completed = if took <= self.config.expiry {
            n
        } else {
            (n as u128 * self.config.expiry.as_nanos() as u128 / took.as_nanos() as u128) as u64
        };
        let done_at = now + took.min(self.config.expiry);
        self.queued += n;
        self.in_process.push(Reverse((done_at, n)));
        BatchSubmit::Accepted { done_at, completed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn api(max_queued: u64, sigma: f64) -> BatchApi {
        BatchApi::new(
            BatchConfig {
                limits: BatchLimits {
                    rpm: 50,
                    max_queued_requests: max_queued,
                    max_batch_requests: 100_000,
                },
                turnaround_median: SimTime::from_secs(1800),
                turnaround_sigma: sigma,
                per_request: SimTime::ZERO,
                expiry: SimTime::from_secs(24 * 3600),
                cache_hit_rate: 0.3,
            },
            ChaCha8Rng::seed_from_u64(1),
        )
    }

    #[test]
    fn a_full_processing_queue_rejects_until_a_batch_finishes() {
        let mut a = api(1000, 0.0);
        assert_eq!(
            a.submit(SimTime::ZERO, 800, 0),
            BatchSubmit::Accepted {
                done_at: SimTime::from_secs(1800),
                completed: 800
            }
        );
        assert_eq!(
            a.submit(SimTime::from_secs(10), 300, 0),
            BatchSubmit::RateLimited {
                retry_at: SimTime::from_secs(1800)
            }
        );
        assert!(matches!(
            a.submit(SimTime::from_secs(1800), 300, 0),
            BatchSubmit::Accepted { .. }
        ));
        assert_eq!(a.queued(SimTime::from_secs(1800)), 300);
    }

    #[test]
    fn turnarounds_past_24_hours_expire() {
        // Median 30 min with sigma 3: P(turnaround > 24 h) = P(Z > ln(48)/3) ≈ 0.098.
        let mut a = api(u64::MAX, 3.0);
        let mut expired = 0;
        let n = 5000;
        for i in 0..n {
            let t = SimTime::from_secs(i * 2);
            match a.submit(t, 1, 0) {
                BatchSubmit::Accepted { done_at, completed } => {
                    assert!(done_at <= t + SimTime::from_secs(24 * 3600));
                    expired += 1 - completed;
                }
                other => panic!("{other:?}"),
            }
        }
        let share = expired as f64 / n as f64;
        assert!((share - 0.098).abs() < 0.015, "{share}");
    }

    #[test]
    fn a_slow_batch_expires_request_by_request() {
        // No spread, 30 min base plus 1 min per request: 2,000 requests take
        // 30 min + 2,000 min = 2,030 min > 24 h = 1,440 min. At an even pace
        // ⌊2,000 × 1,440 / 2,030⌋ = 1,418 are processed, 582 expire.
        let mut a = api(u64::MAX, 0.0);
        a.config.per_request = SimTime::from_secs(60);
        assert_eq!(
            a.submit(SimTime::ZERO, 2_000, 0),
            BatchSubmit::Accepted {
                done_at: SimTime::from_secs(24 * 3600),
                completed: 1_418
            }
        );
    }

    #[test]
    fn oversized_batches_are_refused_not_cut() {
        let mut a = api(u64::MAX, 0.0);
        let too_large = BatchSubmit::TooLarge {
            max_requests: 100_000,
            max_bytes: 256_000_000,
        };
        assert_eq!(a.submit(SimTime::ZERO, 100_001, 0), too_large);
        assert_eq!(a.submit(SimTime::ZERO, 10, 256_000_001), too_large);
        assert_eq!(a.queued(SimTime::ZERO), 0);
        assert!(matches!(
            a.submit(SimTime::ZERO, 100_000, 256_000_000),
            BatchSubmit::Accepted {
                completed: 100_000,
                ..
            }
        ));
    }
}
