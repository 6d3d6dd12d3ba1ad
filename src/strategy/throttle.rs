//! Client-side adaptive throttling, after Google's SRE book, chapter 21
//! ("Handling Overload", section "Client-side throttling").
//!
//! Over a trailing window (two minutes in the book) the client counts
//! `requests`, the attempts the application asked for (including those it
//! rejected locally), and `accepts`, the responses the backend did not
//! reject for load (here: anything but 429 and 529). Before each attempt it
//! rejects locally with probability
//! `max(0, (requests − K·accepts) / (requests + 1))`, so that roughly
//! `K·accepts` attempts per window reach the server however hard the
//! application pushes.
//!
//! When is an attempt counted? The book counts `requests` as they are
//! attempted. Then a request still in flight counts against a client that has
//! no accepts yet, so a cold client throttles itself with no overload at all:
//! ratesim measured up to ~200 local rejections in 30 minutes at 80–90 % of the
//! limit with zero 429s, each rejection adding a request and making the next
//! likelier. Envoy's admission-control filter, which implements the same
//! formula, records a request when its response arrives
//! (`source/extensions/filters/http/admission_control/admission_control.cc`,
//! `encodeHeaders`); ratesim does the same for attempts it sends and counts a
//! local rejection at once (Envoy does not count those; the book does). With
//! that, a client that never sees a 429/529 never throttles: with `j` local
//! rejections and `c` completed attempts, `requests − 2·accepts = j − c`,
//! which stays ≤ 0 from `j = 0`.
//!
//! Counts live in per-second buckets, so memory is bounded by the window.

use crate::engine::SimTime;

/// Per-second counts over a trailing window.
#[derive(Clone, Debug)]
pub struct ThrottleWindow {
    /// `(requests, accepts)` per second, a ring indexed by second.
    slots: Vec<(u64, u64)>,
    /// The second the newest slot holds.
    current: u64,
    requests: u64,
    accepts: u64,
}

impl ThrottleWindow {
    /// A window of `window` (rounded up to whole seconds, at least one).
    pub fn new(window: SimTime) -> ThrottleWindow {
        let secs = window.as_nanos().div_ceil(SimTime::NANOS_PER_SEC).max(1);
        ThrottleWindow {
            slots: vec![(0, 0); secs as usize],
            current: 0,
            requests: 0,
            accepts: 0,
        }
    }

    fn advance(&mut self, now: SimTime) -> usize {
        let n = self.slots.len() as u64;
        let sec = now.as_nanos() / SimTime::NANOS_PER_SEC;
        if sec > self.current {
            let expired = (sec - self.current).min(n);
            for s in (sec + 1 - expired)..=sec {
                let slot = &mut self.slots[(s % n) as usize];
                self.requests -= slot.0;
                self.accepts -= slot.1;
                *slot = (0, 0);
            }
            self.current = sec;
        }
        (self.current % n) as usize
    }

    /// `(requests, accepts)` in the window ending at `now`.
    pub fn counts(&mut self, now: SimTime) -> (u64, u64) {
        self.advance(now);
        (self.requests, self.accepts)
    }

    /// The chance of rejecting the next attempt locally.
    pub fn reject_probability(&mut self, now: SimTime, k: f64) -> f64 {
        let (requests, accepts) = self.counts(now);
        let r = requests as f64;
        ((r - k * accepts as f64) / (r + 1.0)).max(0.0)
    }

    /// Counts an attempt the application asked for.
    pub fn record_request(&mut self, now: SimTime) {
        let i = self.advance(now);
        self.slots[i].0 += 1;
        self.requests += 1;
    }

    /// Counts a response that was not a 429 or 529.
    pub fn record_accept(&mut self, now: SimTime) {
        let i = self.advance(now);
        self.slots[i].1 += 1;
        self.accepts += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probability_follows_the_sre_formula() {
        let mut w = ThrottleWindow::new(SimTime::from_secs(120));
        let t = SimTime::from_secs(5);
        assert_eq!(w.reject_probability(t, 2.0), 0.0, "nothing seen yet");
        for _ in 0..9 {
            w.record_request(t);
        }
        for _ in 0..2 {
            w.record_accept(t);
        }
        // (9 − 2·2) / (9 + 1)
        assert!((w.reject_probability(t, 2.0) - 0.5).abs() < 1e-12);
        // Enough accepts: no throttling.
        w.record_accept(t);
        w.record_accept(t);
        w.record_accept(t);
        assert_eq!(w.reject_probability(t, 2.0), 0.0);
    }

    #[test]
    fn counts_expire_after_the_window() {
        let mut w = ThrottleWindow::new(SimTime::from_secs(3));
        w.record_request(SimTime::from_secs(10));
        w.record_request(SimTime::from_secs(11));
        w.record_accept(SimTime::from_millis(12_500));
        assert_eq!(w.counts(SimTime::from_millis(12_900)), (2, 1));
        // At 13 s the window is seconds 11..=13.
        assert_eq!(w.counts(SimTime::from_secs(13)), (1, 1));
        assert_eq!(w.counts(SimTime::from_secs(16)), (0, 0));
        // A long gap clears everything at once.
        w.record_request(SimTime::from_secs(16));
        assert_eq!(w.counts(SimTime::from_secs(1000)), (0, 0));
    }
}
