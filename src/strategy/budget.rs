//! A retry budget in the style of tower's `retry::budget::TpsBudget` (itself
//! after Finagle's `RetryBudget`).
//!
//! Each original request deposits `ratio` of a token and each retry withdraws
//! one; deposits and withdrawals expire after `ttl`, and a reserve of
//! `min_per_s · ttl` tokens lets a quiet client retry at least `min_per_s`
//! times per second. So over any `ttl` window, retries ≤ `ratio` × original
//! requests + `min_per_s · ttl`. When the budget is empty the client gives up
//! instead of retrying. Tokens are kept in thousandths and in per-second
//! buckets (tower uses ten slots per `ttl`), so memory is bounded by `ttl`.
//!
//! tower's `TpsBudget::default()` is `(ttl 10 s, min_per_sec 10, 20 %)`;
//! ratesim's default floor is 1 retry per second.

use super::StrategyError;
use crate::engine::SimTime;

/// Thousandths of a token per retry.
const UNIT: i64 = 1000;

/// Budget parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryBudgetSpec {
    /// Tokens each original request deposits (tower's `retry_percent`).
    pub ratio: f64,
    /// Retries per second allowed regardless of deposits.
    pub min_per_s: f64,
    /// How long a deposit or withdrawal counts; whole seconds, 1–60 s as
    /// tower and Finagle require.
    pub ttl: SimTime,
}

impl Default for RetryBudgetSpec {
    fn default() -> Self {
        RetryBudgetSpec {
            ratio: 0.2,
            min_per_s: 1.0,
            ttl: SimTime::from_secs(10),
        }
    }
}

impl RetryBudgetSpec {
    /// This spec with the given fields replaced, validated.
    pub fn merge(
        self,
        ratio: Option<f64>,
        min_per_s: Option<f64>,
        ttl: Option<SimTime>,
    ) -> Result<RetryBudgetSpec, StrategyError> {
        let b = RetryBudgetSpec {
            ratio: ratio.unwrap_or(self.ratio),
            min_per_s: min_per_s.unwrap_or(self.min_per_s),
            ttl: ttl.unwrap_or(self.ttl),
        };
        if !(0.0..=1000.0).contains(&b.ratio) {
            return Err(StrategyError::BudgetRatio(b.ratio));
        }
        if !(b.min_per_s.is_finite() && (0.0..=1e6).contains(&b.min_per_s)) {
            return Err(StrategyError::BudgetMinPerS(b.min_per_s));
        }
        let ns = b.ttl.as_nanos();
        if !ns.is_multiple_of(SimTime::NANOS_PER_SEC)
            || !(1..=60).contains(&(ns / SimTime::NANOS_PER_SEC))
        {
            return Err(StrategyError::BudgetTtl(b.ttl));
        }
        Ok(b)
    }
}

/// The running budget.
#[derive(Clone, Debug)]
pub struct RetryBudget {
    deposit: i64,
    reserve: i64,
    /// Net thousandths per second, a ring indexed by second.
    slots: Vec<i64>,
    current: u64,
    sum: i64,
}

impl RetryBudget {
    /// An empty budget (only the reserve available).
    pub fn new(spec: RetryBudgetSpec) -> RetryBudget {
        let ttl_s = spec.ttl.as_nanos().div_ceil(SimTime::NANOS_PER_SEC).max(1);
        RetryBudget {
            deposit: (spec.ratio * UNIT as f64).round() as i64,
            reserve: (spec.min_per_s * ttl_s as f64 * UNIT as f64).round() as i64,
            slots: vec![0; ttl_s as usize],
            current: 0,
            sum: 0,
        }
    }

    fn advance(&mut self, now: SimTime) -> usize {
        let n = self.slots.len() as u64;
        let sec = now.as_nanos() / SimTime::NANOS_PER_SEC;
        if sec > self.current {
            let expired = (sec - self.current).min(n);
            for s in (sec + 1 - expired)..=sec {
                let slot = &mut self.slots[(s % n) as usize];
                self.sum -= *slot;
                *slot = 0;
            }
            self.current = sec;
        }
        (self.current % n) as usize
    }

    /// Records an original request.
    pub fn deposit(&mut self, now: SimTime) {
        let i = self.advance(now);
        self.slots[i] += self.deposit;
        self.sum += self.deposit;
    }

    /// Takes one retry if the budget allows it.
    pub fn withdraw(&mut self, now: SimTime) -> bool {
        let i = self.advance(now);
        if self.reserve + self.sum >= UNIT {
            self.slots[i] -= UNIT;
            self.sum -= UNIT;
            true
        } else {
            false
        }
    }

    /// Retries available now (whole tokens).
    pub fn balance(&mut self, now: SimTime) -> i64 {
        self.advance(now);
        (self.reserve + self.sum).max(0) / UNIT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(ratio: f64, min_per_s: f64, ttl: u64) -> RetryBudget {
        RetryBudget::new(RetryBudgetSpec {
            ratio,
            min_per_s,
            ttl: SimTime::from_secs(ttl),
        })
    }

    #[test]
    fn reserve_allows_min_per_s_times_ttl() {
        // tower's `tps_reserve`: ttl 1 s, 5 per second, 100 %.
        let mut b = budget(1.0, 5.0, 1);
        let t = SimTime::ZERO;
        assert!((0..5).all(|_| b.withdraw(t)));
        assert!(!b.withdraw(t));
    }

    #[test]
    fn deposits_buy_retries_and_expire() {
        let mut b = budget(0.5, 0.0, 1);
        let t = SimTime::from_secs(3);
        assert!(!b.withdraw(t), "empty");
        b.deposit(t);
        assert!(!b.withdraw(t), "half a token is not a retry");
        b.deposit(t);
        assert!(b.withdraw(t + SimTime::from_millis(900)));
        // tower's `tps_leaky`: a deposit is gone after the ttl.
        b.deposit(t);
        b.deposit(t);
        assert!(!b.withdraw(t + SimTime::from_secs(3)));
    }

    #[test]
    fn twenty_percent_of_requests_plus_the_floor() {
        let mut b = budget(0.2, 1.0, 10);
        let t = SimTime::from_secs(100);
        for _ in 0..50 {
            b.deposit(t);
        }
        // 10 from deposits + 10 from the reserve.
        assert_eq!(b.balance(t), 20);
        assert_eq!((0..100).filter(|_| b.withdraw(t)).count(), 20);
        // Ten seconds later both the deposits and the withdrawals expired.
        assert_eq!(b.balance(t + SimTime::from_secs(10)), 10);
    }
}
