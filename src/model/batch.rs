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
    /// A batch not done by then expires, unbilled.
    pub expiry: SimTime,
}

/// The answer to a batch submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchSubmit {
    /// Accepted: results at `done_at`, or the batch expires then.
    Accepted {
        /// When results (or the expiry) arrive.
        done_at: SimTime,
        /// The batch ran out of time: none of its requests succeed.
        expired: bool,
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

    /// Submits a batch of `n` requests (at most `max_batch_requests`).
    pub fn submit(&mut self, now: SimTime, n: u64) -> BatchSubmit {
        self.advance(now);
        let n = n.min(self.config.limits.max_batch_requests);
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
        let expired = took > self.config.expiry;
        let done_at = now + took.min(self.config.expiry);
        self.queued += n;
        self.in_process.push(Reverse((done_at, n)));
        BatchSubmit::Accepted { done_at, expired }
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
            },
            ChaCha8Rng::seed_from_u64(1),
        )
    }

    #[test]
    fn a_full_processing_queue_rejects_until_a_batch_finishes() {
        let mut a = api(1000, 0.0);
        assert_eq!(
            a.submit(SimTime::ZERO, 800),
            BatchSubmit::Accepted {
                done_at: SimTime::from_secs(1800),
                expired: false
            }
        );
        assert_eq!(
            a.submit(SimTime::from_secs(10), 300),
            BatchSubmit::RateLimited {
                retry_at: SimTime::from_secs(1800)
            }
        );
        assert!(matches!(
            a.submit(SimTime::from_secs(1800), 300),
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
            match a.submit(t, 1) {
                BatchSubmit::Accepted {
                    done_at,
                    expired: e,
                } => {
                    assert!(done_at <= t + SimTime::from_secs(24 * 3600));
                    expired += e as u64;
                }
                other => panic!("{other:?}"),
            }
        }
        let share = expired as f64 / n as f64;
        assert!((share - 0.098).abs() < 0.015, "{share}");
    }
}
