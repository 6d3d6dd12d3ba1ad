//! Coordination between replicas: a central limiter (the Redis token bucket
//! teams put in front of a shared quota) that every replica asks before it
//! sends. It costs a round trip on every send and can be down.
//!
//! The limiter keeps one token bucket per pool at `fraction` of the limits,
//! as a Redis script would: a request that fits is granted and the replica
//! sends when the reply arrives, one round trip later; one that does not is
//! denied with the time until it would fit, and the replica's retry policy
//! takes it from there (as for a 429 with `retry-after`). Denials take
//! nothing from the budget, so the limiter never runs into debt.

use crate::engine::SimTime;
use crate::model::PoolLimits;
use crate::model::bucket::{SCALE, TokenBucket};

use super::Cost;

/// What a replica does when the limiter does not answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnOutage {
    /// Send anyway, unlimited (keeps serving, risks 429s).
    #[default]
    FailOpen,
    /// Do not send: the attempt fails locally and the retry policy decides.
    FailClosed,
}

impl OnOutage {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            OnOutage::FailOpen => "fail_open",
            OnOutage::FailClosed => "fail_closed",
        }
    }
}

/// A central limiter's settings.
#[derive(Clone, Debug, PartialEq)]
pub struct SharedLimiterSpec {
    /// Round trip to the limiter, paid before every send.
    pub rtt: SimTime,
    /// Share of each limit the limiter hands out.
    pub fraction: f64,
    /// Windows `[start, end)` in which the limiter is unreachable.
    pub outages: Vec<(SimTime, SimTime)>,
    /// What replicas do while it is unreachable.
    pub on_outage: OnOutage,
}

/// How replicas coordinate (a strategy layer, composable with the others).
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Coordination {
    /// Each replica on its own.
    #[default]
    None,
    /// Every send is cleared with a central limiter first.
    SharedLimiter(SharedLimiterSpec),
}

/// The limiter's answer, which reaches the replica one round trip after
/// it asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clearance {
    /// Send when the answer arrives, at this time.
    SendAt(SimTime),
    /// Do not send; the answer arrives at `at`. `retry_after` is how long
    /// until the request would fit (none when the limiter is down and the
    /// fleet fails closed).
    Denied {
        /// When the replica learns it.
        at: SimTime,
        /// The limiter's hint, from `at`.
        retry_after: Option<SimTime>,
    },
}

/// A running central limiter, shared by every replica of a fleet.
#[derive(Clone, Debug)]
pub struct SharedLimiter {
    spec: SharedLimiterSpec,
    buckets: Vec<[Option<TokenBucket>; 3]>,
}

const MINUTE: SimTime = SimTime(SimTime::NANOS_PER_MIN);

impl SharedLimiter {
    /// A limiter for pools with the given (configured) limits.
    pub fn new(spec: SharedLimiterSpec, limits: &[PoolLimits]) -> SharedLimiter {
        let fraction = spec.fraction;
        SharedLimiter {
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
            spec,
        }
    }

    /// Whether the limiter is unreachable at `now`.
    pub fn down(&self, now: SimTime) -> bool {
        self.spec.outages.iter().any(|&(a, b)| a <= now && now < b)
    }

    /// Asks to send `cost` to `pool` at `now` (the limiter decides at
    /// once; the answer travels back for one round trip).
    pub fn acquire(&mut self, now: SimTime, pool: usize, cost: Cost) -> Clearance {
        let reply = now + self.spec.rtt;
        if self.down(now) {
            return match self.spec.on_outage {
                OnOutage::FailOpen => Clearance::SendAt(reply),
                OnOutage::FailClosed => Clearance::Denied {
                    at: reply,
                    retry_after: None,
                },
            };
        }
        let mut fits_at = now;
        for (i, b) in self.buckets[pool].iter().enumerate() {
            let Some(b) = b else { continue };
            // A request larger than the whole budget waits for a full one.
            let need = (cost[i] as i128 * SCALE).min(b.capacity_scaled());
            fits_at = fits_at.max(b.wait_static(now, need).unwrap_or(SimTime::MAX));
        }
        if fits_at > now {
            return Clearance::Denied {
                at: reply,
                retry_after: Some(fits_at.saturating_sub(reply)),
            };
        }
        for (i, b) in self.buckets[pool].iter_mut().enumerate() {
            if let Some(b) = b {
                b.debit(now, cost[i] as i128 * SCALE);
            }
        }
        Clearance::SendAt(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(rtt_ms: u64, outages: Vec<(SimTime, SimTime)>, on: OnOutage) -> SharedLimiter {
        SharedLimiter::new(
            SharedLimiterSpec {
                rtt: SimTime::from_millis(rtt_ms),
                fraction: 0.5,
                outages,
                on_outage: on,
            },
            &[PoolLimits {
                rpm: Some(120),
                ..PoolLimits::default()
            }],
        )
    }

    #[test]
    fn an_idle_limiter_costs_one_round_trip() {
        let mut l = limiter(2, vec![], OnOutage::FailOpen);
        let now = SimTime::from_secs(1);
        assert_eq!(
            l.acquire(now, 0, [1, 0, 0]),
            Clearance::SendAt(now + SimTime::from_millis(2))
        );
    }

    #[test]
    fn an_empty_budget_denies_until_the_next_token() {
        // 60 of 120 RPM: a full bucket of 60 requests, then one per second.
        let mut l = limiter(2, vec![], OnOutage::FailOpen);
        let now = SimTime::ZERO;
        for _ in 0..60 {
            assert!(matches!(l.acquire(now, 0, [1, 0, 0]), Clearance::SendAt(_)));
        }
        let denied = Clearance::Denied {
            at: SimTime::from_millis(2),
            retry_after: Some(SimTime::from_millis(998)),
        };
        // Denials take nothing: asking again gives the same answer.
        assert_eq!(l.acquire(now, 0, [1, 0, 0]), denied);
        assert_eq!(l.acquire(now, 0, [1, 0, 0]), denied);
        let one_s = SimTime::from_secs(1);
        assert_eq!(
            l.acquire(one_s, 0, [1, 0, 0]),
            Clearance::SendAt(one_s + SimTime::from_millis(2))
        );
    }

    #[test]
    fn an_outage_fails_open_or_closed() {
        let w = vec![(SimTime::from_secs(10), SimTime::from_secs(20))];
        let mut open = limiter(2, w.clone(), OnOutage::FailOpen);
        let mut closed = limiter(2, w, OnOutage::FailClosed);
        let at = SimTime::from_secs(15);
        for _ in 0..100 {
            assert_eq!(
                open.acquire(at, 0, [1, 0, 0]),
                Clearance::SendAt(at + SimTime::from_millis(2))
            );
            assert_eq!(
                closed.acquire(at, 0, [1, 0, 0]),
                Clearance::Denied {
                    at: at + SimTime::from_millis(2),
                    retry_after: None
                }
            );
        }
        let after = SimTime::from_secs(20);
        assert!(matches!(
            closed.acquire(after, 0, [1, 0, 0]),
            Clearance::SendAt(_)
        ));
    }
}
