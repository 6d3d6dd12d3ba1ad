//! Window counters: the rolling 60-second window and the fixed calendar minute.

use std::collections::VecDeque;

use crate::engine::SimTime;

const MINUTE: u64 = SimTime::NANOS_PER_MIN;

/// Admitted units in the trailing 60 s must stay within the limit.
///
/// Memory is one entry per debit still inside the window, so it is bounded by
/// the limit itself for request counts and by the request rate for tokens.
#[derive(Clone, Debug)]
pub struct SlidingWindow {
    limit: u64,
    used: u64,
    entries: VecDeque<(SimTime, u64)>,
}

impl SlidingWindow {
    /// An empty window.
    pub fn new(limit_per_min: u64) -> SlidingWindow {
        SlidingWindow {
            limit: limit_per_min,
            used: 0,
            entries: VecDeque::new(),
        }
    }

    /// The per-minute limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Drops entries that left the window `(now − 60 s, now]`.
    pub fn advance(&mut self, now: SimTime) {
        while let Some(&(t, u)) = self.entries.front() {
            if t.as_nanos().saturating_add(MINUTE) <= now.as_nanos() {
                self.used -= u;
                self.entries.pop_front();
            } else {
                break;
            }
        }
    }

    /// Units used in the window ending at `now`.
    pub fn used(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        self.used
    }

    /// Records `units` at `now`.
    pub fn debit(&mut self, now: SimTime, units: u64) {
        self.advance(now);
        if units == 0 {
            return;
        }
        self.used += units;
        match self.entries.back_mut() {
            Some((t, u)) if *t == now => *u += units,
            _ => self.entries.push_back((now, units)),
        }
    }

    /// Takes back up to `units` from what was charged at `charged_at`, if that
    /// debit is still inside the window.
    pub fn credit(&mut self, now: SimTime, units: u64, charged_at: SimTime) {
        self.advance(now);
        let i = self.entries.partition_point(|&(t, _)| t < charged_at);
        if let Some((t, u)) = self.entries.get_mut(i)
            && *t == charged_at
        {
            let back = units.min(*u);
            *u -= back;
            self.used -= back;
        }
    }

    /// Earliest time when `need` more units fit, if nothing else is admitted.
    ///
    /// Walks the entries oldest first, as if each had left the window, without
    /// copying them: on a saturated window this runs for every rejection.
    pub fn wait_static(&self, now: SimTime, need: u64) -> Option<SimTime> {
        if need > self.limit {
            return None;
        }
        let mut used = self.used;
        let mut fits_from = now;
        for &(t, u) in &self.entries {
            if used + need <= self.limit {
                return Some(fits_from);
            }
            used -= u;
            // Entries that already left the window free their units now.
            fits_from = fits_from.max(SimTime(t.as_nanos().saturating_add(MINUTE)));
        }
        (used + need <= self.limit).then_some(fits_from)
    }

    /// When the window will be empty (the reset header).
    pub fn reset_at(&mut self, now: SimTime) -> SimTime {
        self.advance(now);
        match self.entries.back() {
            Some(&(t, _)) => SimTime(t.as_nanos() + MINUTE),
            None => now,
        }
    }
}

/// Counters that reset at each whole simulated minute.
#[derive(Clone, Debug)]
pub struct FixedWindow {
    limit: u64,
    used: u64,
    window: u64,
}

impl FixedWindow {
    /// An empty counter.
    pub fn new(limit_per_min: u64) -> FixedWindow {
        FixedWindow {
            limit: limit_per_min,
            used: 0,
            window: 0,
        }
    }

    /// The per-minute limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Resets the counter when `now` is in a later minute.
    pub fn advance(&mut self, now: SimTime) {
        let w = now.as_nanos() / MINUTE;
        if w > self.window {
            self.window = w;
            self.used = 0;
        }
    }

    /// Units used in the current minute.
    pub fn used(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        self.used
    }

    /// Records `units` at `now`.
    pub fn debit(&mut self, now: SimTime, units: u64) {
        self.advance(now);
        self.used += units;
    }

    /// Takes back up to `units` if they were charged in the current minute.
    pub fn credit(&mut self, now: SimTime, units: u64, charged_at: SimTime) {
        self.advance(now);
        if charged_at.as_nanos() / MINUTE == self.window {
            self.used = self.used.saturating_sub(units);
        }
    }

    /// Earliest time when `need` more units fit: now, or the next minute.
    pub fn wait_static(&self, now: SimTime, need: u64) -> Option<SimTime> {
        if need > self.limit {
            return None;
        }
        let window = now.as_nanos() / MINUTE;
        let used = if window > self.window { 0 } else { self.used };
        if used + need <= self.limit {
            Some(now)
        } else {
            Some(SimTime((window.max(self.window) + 1) * MINUTE))
        }
    }

    /// The start of the next minute, or now when nothing is used.
    pub fn reset_at(&mut self, now: SimTime) -> SimTime {
        self.advance(now);
        if self.used == 0 {
            now
        } else {
            SimTime((self.window + 1) * MINUTE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_frees_units_exactly_sixty_seconds_later() {
        let mut w = SlidingWindow::new(3);
        w.debit(SimTime::from_secs(0), 1);
        w.debit(SimTime::from_secs(10), 2);
        assert_eq!(
            w.wait_static(SimTime::from_secs(20), 1),
            Some(SimTime::from_secs(60))
        );
        assert_eq!(
            w.wait_static(SimTime::from_secs(20), 3),
            Some(SimTime::from_secs(70))
        );
        assert_eq!(w.used(SimTime(60 * SimTime::NANOS_PER_SEC - 1)), 3);
        assert_eq!(w.used(SimTime::from_secs(60)), 2);
        assert_eq!(w.wait_static(SimTime::ZERO, 4), None);
    }

    #[test]
    fn sliding_window_credit_only_touches_its_own_debit() {
        let mut w = SlidingWindow::new(1000);
        w.debit(SimTime::from_secs(1), 500);
        w.debit(SimTime::from_secs(2), 300);
        w.credit(SimTime::from_secs(3), 200, SimTime::from_secs(1));
        assert_eq!(w.used(SimTime::from_secs(3)), 600);
        // The first debit leaves the window with only what remained of it.
        assert_eq!(w.used(SimTime::from_secs(61)), 300);
    }

    #[test]
    fn fixed_window_resets_on_the_minute() {
        let mut w = FixedWindow::new(2);
        w.debit(SimTime::from_secs(59), 2);
        assert_eq!(
            w.wait_static(SimTime::from_secs(59), 1),
            Some(SimTime::from_secs(60))
        );
        assert_eq!(w.used(SimTime(60 * SimTime::NANOS_PER_SEC - 1)), 2);
        assert_eq!(w.used(SimTime::from_secs(60)), 0);
        assert_eq!(w.reset_at(SimTime::from_secs(60)), SimTime::from_secs(60));
    }
}
