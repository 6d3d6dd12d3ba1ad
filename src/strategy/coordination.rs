//! Coordination between replicas: a central limiter (the Redis token bucket
//! teams put in front of a shared quota) that every replica asks before it
//! sends. It costs a round trip on every send and can be down.
//!
//! The limiter keeps one budget per pool at `fraction` of the limits and
//! answers with a reservation (GCRA style): "go now" or "go at `t`". A
//! replica sends when both the reply has arrived and the reserved time has
//! come, so an idle limiter adds exactly its round trip.

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

/// The limiter's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clearance {
    /// Send at this time (at least one round trip from the request).
    SendAt(SimTime),
    /// The limiter is down and the fleet fails closed: do not send.
    Refused,
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

    /// Asks to send `cost` to `pool` at `now`. A reservation is taken at
    /// once (the budget may go into debt, which later callers wait out).
    pub fn acquire(&mut self, now: SimTime, pool: usize, cost: Cost) -> Clearance {
        let reply = now + self.spec.rtt;
        if self.down(now) {
            return match self.spec.on_outage {
                OnOutage::FailOpen => Clearance::SendAt(reply),
                OnOutage::FailClosed => Clearance::Refused,
            };
        }
        let mut at = now;
        for (i, b) in self.buckets[pool].iter_mut().enumerate() {
            let Some(b) = b else { continue };
            // A request larger than the whole budget waits for a full one.
            let need = (cost[i] as i128 * SCALE).min(b.capacity_scaled());
            // The level only falls by debits, so waiting for `need` from the
            // current debt is the GCRA reservation time.
            if let Some(t) = b.wait_static(now, need) {
                at = at.max(t);
            }
        }
        for (i, b) in self.buckets[pool].iter_mut().enumerate() {
            if let Some(b) = b {
                b.debit(now, cost[i] as i128 * SCALE);
            }
        }
        Clearance::SendAt(reply.max(at))
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
    fn an_empty_budget_reserves_the_next_token() {
        // 60 of 120 RPM: a full bucket of 60 requests, then one per second.
        let mut l = limiter(2, vec![], OnOutage::FailOpen);
        let now = SimTime::ZERO;
        for _ in 0..60 {
            l.acquire(now, 0, [1, 0, 0]);
        }
        assert_eq!(
            l.acquire(now, 0, [1, 0, 0]),
            Clearance::SendAt(SimTime::from_secs(1))
        );
        assert_eq!(
            l.acquire(now, 0, [1, 0, 0]),
            Clearance::SendAt(SimTime::from_secs(2))
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
            assert_eq!(closed.acquire(at, 0, [1, 0, 0]), Clearance::Refused);
        }
        let after = SimTime::from_secs(20);
        assert!(matches!(
            closed.acquire(after, 0, [1, 0, 0]),
            Clearance::SendAt(_)
        ));
    }
}
