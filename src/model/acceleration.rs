//! An acceleration limit: 429s on a sharp rise in usage, even below the
//! per-minute limits.
//!
//! Anthropic's errors page says "if your organization has a sharp increase in
//! usage, you might see 429 errors because of acceleration limits on the API.
//! To avoid hitting acceleration limits, ramp up your traffic gradually and
//! maintain consistent usage patterns"
//! (<https://platform.claude.com/docs/en/api/errors>, read 2026-11). No
//! threshold is published, so every parameter here is an assumption that a
//! scenario states explicitly: admissions in the last `window` may not exceed
//! `max_ratio` times the rate over the preceding `baseline`, with a floor so a
//! quiet organisation can still start.

use std::collections::VecDeque;

use crate::engine::SimTime;

/// Parameters of the acceleration rule (all assumptions; see module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AccelerationLimit {
    /// The recent window whose admissions are compared.
    pub window: SimTime,
    /// The earlier period that sets the baseline rate.
    pub baseline: SimTime,
    /// Recent rate may be at most this multiple of the baseline rate.
    pub max_ratio: f64,
    /// Requests per minute always allowed, whatever the baseline.
    pub floor_rpm: u64,
}

const SECOND: u64 = SimTime::NANOS_PER_SEC;

/// Admission counts per second over `window + baseline`, so memory is fixed.
#[derive(Clone, Debug)]
pub struct AccelerationGuard {
    limit: AccelerationLimit,
    window_s: u64,
    baseline_s: u64,
    /// (second, admissions in that second), oldest first.
    seconds: VecDeque<(u64, u64)>,
}

impl AccelerationGuard {
    /// A guard with no history.
    pub fn new(limit: AccelerationLimit) -> AccelerationGuard {
        AccelerationGuard {
            window_s: (limit.window.as_nanos() / SECOND).max(1),
            baseline_s: (limit.baseline.as_nanos() / SECOND).max(1),
            limit,
            seconds: VecDeque::new(),
        }
    }

    fn prune(&mut self, second: u64) {
        let horizon = self.window_s + self.baseline_s;
        while self
            .seconds
            .front()
            .is_some_and(|&(s, _)| s + horizon <= second)
        {
            self.seconds.pop_front();
        }
    }

    /// Whether one more admission at second `s` keeps within the rule.
    fn allows_at(&self, s: u64) -> bool {
        let (mut recent, mut base) = (0u64, 0u64);
        for &(t, n) in &self.seconds {
            if t + self.window_s > s && t <= s {
                recent += n;
            } else if t + self.window_s + self.baseline_s > s && t + self.window_s <= s {
                base += n;
            }
        }
        let base_per_window = base as f64 * self.window_s as f64 / self.baseline_s as f64;
        let floor = self.limit.floor_rpm as f64 * self.window_s as f64 / 60.0;
        (recent + 1) as f64 <= floor.max(self.limit.max_ratio * base_per_window)
    }

    /// `Ok` if an admission at `now` is allowed, else the earliest time it
    /// would be with no further admissions.
    pub fn check(&mut self, now: SimTime) -> Result<(), SimTime> {
        let s = now.as_nanos() / SECOND;
        self.prune(s);
        if self.allows_at(s) {
            return Ok(());
        }
        let end = s + self.window_s + self.baseline_s;
        let next = (s + 1..=end).find(|&t| self.allows_at(t)).unwrap_or(end);
        Err(SimTime(next * SECOND))
    }

    /// Records an admission at `now`.
    pub fn record(&mut self, now: SimTime) {
        let s = now.as_nanos() / SECOND;
        self.prune(s);
        match self.seconds.back_mut() {
            Some((t, n)) if *t == s => *n += 1,
            _ => self.seconds.push_back((s, 1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard() -> AccelerationGuard {
        AccelerationGuard::new(AccelerationLimit {
            window: SimTime::from_secs(60),
            baseline: SimTime::from_secs(600),
            max_ratio: 2.0,
            floor_rpm: 10,
        })
    }

    #[test]
    fn a_cold_start_is_held_to_the_floor() {
        let mut g = guard();
        for _ in 0..10 {
            assert!(g.check(SimTime::ZERO).is_ok());
            g.record(SimTime::ZERO);
        }
        // The 11th in the same minute exceeds the 10/min floor; the window
        // frees up when the first second leaves it, 60 s later.
        assert_eq!(g.check(SimTime::ZERO), Err(SimTime::from_secs(60)));
    }

    #[test]
    fn a_steady_baseline_allows_twice_its_rate() {
        let mut g = guard();
        // 30 per minute for ten minutes: one every 2 s.
        for s in (0..600).step_by(2) {
            g.record(SimTime::from_secs(s));
        }
        // At t = 600 s the recent window is seconds 541..=600, holding the 29
        // even seconds 542..=598; the baseline is seconds 0..=540, holding
        // 271, i.e. 27.1 per minute, so the cap is 2 × 27.1 = 54.2 and
        // 54 − 29 = 25 more fit.
        let t = SimTime::from_secs(600);
        let mut admitted = 0;
        while g.check(t).is_ok() {
            g.record(t);
            admitted += 1;
        }
        assert_eq!(admitted, 25);
    }
}
