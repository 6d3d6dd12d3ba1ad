//! Retry policies: whether and when to resend after a 429 or 529.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::sdk::{self, SdkVersion};
use crate::engine::SimTime;

/// How backoff delays are randomised (the AWS Architecture Blog definitions,
/// "Exponential Backoff And Jitter", 2015).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Jitter {
    /// `min(cap, base·2ⁿ)`.
    None,
    /// `U(0, min(cap, base·2ⁿ))`.
    #[default]
    Full,
    /// `t/2 + U(0, t/2)` with `t = min(cap, base·2ⁿ)`.
    Equal,
    /// `min(cap, U(base, 3·previous))`, starting from `previous = base`.
    Decorrelated,
}

impl Jitter {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            Jitter::None => "none",
            Jitter::Full => "full",
            Jitter::Equal => "equal",
            Jitter::Decorrelated => "decorrelated",
        }
    }
}

/// Exponential backoff parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// First delay.
    pub base: SimTime,
    /// Largest delay.
    pub cap: SimTime,
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Randomisation.
    pub jitter: Jitter,
    /// Wait at least `retry-after` when the server sends it.
    pub honor_retry_after: bool,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: SimTime::from_secs(1),
            cap: SimTime::from_secs(60),
            max_retries: 8,
            jitter: Jitter::Full,
            honor_retry_after: true,
        }
    }
}

/// The retry layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RetryPolicy {
    /// Never retry.
    None,
    /// Retry after a fixed delay (zero: immediately), up to `max_retries`.
    FixedDelay {
        /// Delay before each retry.
        delay: SimTime,
        /// Retries after the first attempt.
        max_retries: u32,
        /// Wait at least `retry-after` when the server sends it.
        honor_retry_after: bool,
    },
    /// Exponential backoff with jitter.
    Backoff(Backoff),
    /// The official Anthropic Python SDK's rule (see [`super::sdk`]):
    /// `min(0.5·2ⁿ, 8)·(1 − 0.25·U[0,1))` seconds, or the server's
    /// `retry-after-ms`/`retry-after` when the version accepts it.
    SdkDefault {
        /// Retries after the first attempt (`DEFAULT_MAX_RETRIES = 2`).
        max_retries: u32,
        /// Which release line's `retry-after` rule to follow.
        version: SdkVersion,
    },
}

impl RetryPolicy {
    /// Retries allowed after the first attempt.
    pub fn max_retries(&self) -> u32 {
        match self {
            RetryPolicy::None => 0,
            RetryPolicy::FixedDelay { max_retries, .. } => *max_retries,
            RetryPolicy::Backoff(b) => b.max_retries,
            RetryPolicy::SdkDefault { max_retries, .. } => *max_retries,
        }
    }

    /// Delay before retry number `retry` (0 for the first retry), or `None` to
    /// give up. `previous` is the last delay used for this request
    /// (decorrelated jitter needs it).
    pub fn delay(
        &self,
        retry: u32,
        previous: SimTime,
        retry_after: Option<SimTime>,
        rng: &mut ChaCha8Rng,
    ) -> Option<SimTime> {
        if retry >= self.max_retries() {
            return None;
        }
        let (delay, honor) = match *self {
            RetryPolicy::None => return None,
            RetryPolicy::FixedDelay {
                delay,
                honor_retry_after,
                ..
            } => (delay, honor_retry_after),
            RetryPolicy::Backoff(b) => {
                (backoff_delay(&b, retry, previous, rng), b.honor_retry_after)
            }
            RetryPolicy::SdkDefault { version, .. } => {
                // The SDK draws `random()` only when it falls back to backoff.
                let draw = || rng.random::<f64>();
                return Some(sdk::retry_delay(version, retry, retry_after, draw));
            }
        };
        Some(match retry_after {
            Some(ra) if honor => delay.max(ra),
            _ => delay,
        })
    }
}

fn backoff_delay(b: &Backoff, retry: u32, previous: SimTime, rng: &mut ChaCha8Rng) -> SimTime {
    let base = b.base.as_nanos();
    let cap = b.cap.as_nanos().max(base);
    let exp = base.saturating_mul(1u64.checked_shl(retry.min(63)).unwrap_or(u64::MAX));
    let t = exp.min(cap);
    SimTime(match b.jitter {
        Jitter::None => t,
        Jitter::Full => rng.random_range(0..=t),
        Jitter::Equal => t / 2 + rng.random_range(0..=t - t / 2),
        Jitter::Decorrelated => {
            let prev = previous.as_nanos().max(base);
            let hi = prev.saturating_mul(3).max(base);
            rng.random_range(base..=hi).min(cap)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn policy(jitter: Jitter) -> RetryPolicy {
        RetryPolicy::Backoff(Backoff {
            base: SimTime::from_secs(1),
            cap: SimTime::from_secs(20),
            max_retries: 6,
            jitter,
            honor_retry_after: false,
        })
    }

    #[test]
    fn no_jitter_doubles_up_to_the_cap() {
        let p = policy(Jitter::None);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let d: Vec<u64> = (0..6)
            .map(|n| {
                p.delay(n, SimTime::ZERO, None, &mut rng)
                    .unwrap()
                    .as_nanos()
                    / 1_000_000_000
            })
            .collect();
        assert_eq!(d, vec![1, 2, 4, 8, 16, 20]);
        assert_eq!(
            p.delay(6, SimTime::ZERO, None, &mut rng),
            None,
            "gives up after max"
        );
    }

    #[test]
    fn full_jitter_is_uniform_below_the_exponential() {
        let p = policy(Jitter::Full);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let xs: Vec<f64> = (0..20_000)
            .map(|_| {
                p.delay(2, SimTime::ZERO, None, &mut rng)
                    .unwrap()
                    .as_secs_f64()
            })
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!(xs.iter().all(|&x| (0.0..=4.0).contains(&x)));
        assert!((mean - 2.0).abs() < 0.05, "mean of U(0,4) is 2, got {mean}");
    }

    #[test]
    fn equal_jitter_keeps_half_the_delay() {
        let p = policy(Jitter::Equal);
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..1000 {
            let x = p
                .delay(3, SimTime::ZERO, None, &mut rng)
                .unwrap()
                .as_secs_f64();
            assert!((4.0..=8.0).contains(&x));
        }
    }

    #[test]
    fn decorrelated_grows_from_the_previous_delay() {
        let p = policy(Jitter::Decorrelated);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..1000 {
            let x = p
                .delay(1, SimTime::from_secs(3), None, &mut rng)
                .unwrap()
                .as_secs_f64();
            assert!((1.0..=9.0).contains(&x));
        }
    }

    #[test]
    fn honoring_retry_after_waits_at_least_that_long() {
        let p = RetryPolicy::FixedDelay {
            delay: SimTime::ZERO,
            max_retries: 3,
            honor_retry_after: true,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let d = p.delay(0, SimTime::ZERO, Some(SimTime::from_secs(7)), &mut rng);
        assert_eq!(d, Some(SimTime::from_secs(7)));
    }
}
