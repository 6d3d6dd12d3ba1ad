//! A continuously refilled token bucket in exact integer arithmetic.

use crate::engine::SimTime;

/// Fixed-point scale: one token is `SCALE` units, so a limit of `L` tokens per
/// minute refills exactly `L` units per nanosecond. No rounding, ever.
pub const SCALE: i128 = SimTime::NANOS_PER_MIN as i128;

/// A token bucket refilled at `limit` tokens per minute, capped at a capacity.
///
/// Besides instantaneous debits it supports *drains*: debits spread evenly over
/// an interval (output tokens generated while a response streams). The level
/// is then piecewise linear and may go below zero, as Anthropic's real-time
/// OTPM accounting allows.
#[derive(Clone, Debug)]
pub struct TokenBucket {
    limit: u64,
    rate: i128,
    capacity: i128,
    /// `capacity / SCALE`, kept because every admission check asks for it.
    capacity_tokens: u64,
    level: i128,
    drain: i128,
    last: SimTime,
}

impl TokenBucket {
    /// A full bucket. `burst` is the capacity expressed as time at the limit:
    /// 60 s holds one minute's worth, 1 s turns 60 RPM into 1 request per second.
    pub fn new(limit_per_min: u64, burst: SimTime) -> TokenBucket {
        TokenBucket::with_floor(limit_per_min, burst, 0)
    }

    /// A full bucket whose capacity is `burst` at the limit but never less
    /// than `floor` whole units, nor more than one minute's worth because
    /// of the floor: a short burst then never turns a request the
    /// per-minute limit would accept into one that can never fit.
    pub fn with_floor(limit_per_min: u64, burst: SimTime, floor: u64) -> TokenBucket {
        let rate = limit_per_min as i128;
        let floor = floor.min(limit_per_min) as i128 * SCALE;
        let capacity = (rate * burst.as_nanos() as i128).max(floor);
        TokenBucket {
            limit: limit_per_min,
            rate,
            capacity,
            capacity_tokens: whole_tokens(capacity),
            level: capacity,
            drain: 0,
            last: SimTime::ZERO,
        }
    }

    /// A bucket holding `level_tokens` (clamped to capacity) at time `at`.
    pub fn with_level(
        limit_per_min: u64,
        burst: SimTime,
        level_tokens: i64,
        at: SimTime,
    ) -> TokenBucket {
        let mut b = TokenBucket::new(limit_per_min, burst);
        b.level = (level_tokens as i128 * SCALE).min(b.capacity);
        b.last = at;
        b
    }

    /// The per-minute limit.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Capacity in scaled units.
    pub fn capacity_scaled(&self) -> i128 {
        self.capacity
    }

    /// Capacity in whole tokens: the largest single debit that can ever fit.
    pub fn capacity_tokens(&self) -> u64 {
        self.capacity_tokens
    }

    /// Advances the level to `now` (earlier times are ignored).
    pub fn advance(&mut self, now: SimTime) {
        if now > self.last {
            self.level = self.level_at(now);
            self.last = now;
        }
    }

    /// The level in scaled units at `now ≥ last` under the current drains,
    /// without moving.
    pub fn level_at(&self, now: SimTime) -> i128 {
        if now <= self.last {
            return self.level;
        }
        let dt = (now.as_nanos() - self.last.as_nanos()) as i128;
        let net = self.rate - self.drain;
        if net <= 0 {
            self.level + net * dt
        } else if self.level < self.capacity {
            // Refill saturates at capacity: a full bucket stays full.
            (self.level + net * dt).min(self.capacity)
        } else {
            self.level
        }
    }

    /// Whether the level can only rise until the next drain starts: the
    /// refill at least matches every drain.
    pub fn never_falls(&self) -> bool {
        self.drain <= self.rate
    }

    /// Level in scaled units at `now` (advances the bucket).
    pub fn level_scaled(&mut self, now: SimTime) -> i128 {
        self.advance(now);
        self.level
    }

    /// Whole tokens available now, never negative.
    pub fn remaining(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        whole_tokens(self.level.max(0))
    }

    /// Whether `need_scaled` units are available now.
    pub fn fits(&mut self, now: SimTime, need_scaled: i128) -> bool {
        self.advance(now);
        self.level >= need_scaled
    }

    /// Removes `units` scaled units now.
    pub fn debit(&mut self, now: SimTime, units: i128) {
        self.advance(now);
        self.level -= units;
    }

    /// Returns `units` scaled units now, never above capacity.
    pub fn credit(&mut self, now: SimTime, units: i128) {
        self.advance(now);
        self.level = (self.level + units).min(self.capacity);
    }

    /// Starts draining `rate` scaled units per nanosecond from `now`.
    pub fn start_drain(&mut self, now: SimTime, rate: i128) {
        self.advance(now);
        self.drain += rate;
    }

    /// Stops a drain started with `rate`.
    pub fn stop_drain(&mut self, now: SimTime, rate: i128) {
        self.advance(now);
        self.drain -= rate;
    }

    /// Earliest time at or after `now` when `need_scaled` units are available,
    /// if the current drains went on unchanged and nothing else happened.
    /// `None` when that never happens (the need exceeds capacity, or drains
    /// outpace the refill).
    pub fn wait_static(&self, now: SimTime, need_scaled: i128) -> Option<SimTime> {
        let level = self.level_at(now);
        if level >= need_scaled {
            return Some(now);
        }
        if need_scaled > self.capacity {
            return None;
        }
        let net = self.rate - self.drain;
        if net <= 0 {
            return None;
        }
        let dt = div_ceil(need_scaled - level, net);
        Some(SimTime(
            now.as_nanos()
                .saturating_add(dt.min(u64::MAX as i128) as u64),
        ))
    }

    /// When the bucket will be full again at the current net rate (the
    /// `anthropic-ratelimit-*-reset` value).
    pub fn full_at(&mut self, now: SimTime) -> SimTime {
        self.advance(now);
        if self.level >= self.capacity {
            return now;
        }
        // While drains outpace the refill, assume they end now (the header
        // cannot know when streams finish).
        let net = if self.rate > self.drain {
            self.rate - self.drain
        } else {
            self.rate.max(1)
        };
        let dt = div_ceil(self.capacity - self.level, net);
        SimTime(
            now.as_nanos()
                .saturating_add(dt.min(u64::MAX as i128) as u64),
        )
    }
}

/// `units / SCALE` for `units ≥ 0`. Levels almost always fit in 64 bits,
/// where the division by a constant compiles to a multiplication; 128-bit
/// division is a library call (it was 7 % of a retry-storm profile).
fn whole_tokens(units: i128) -> u64 {
    match u64::try_from(units) {
        Ok(u) => u / SCALE as u64,
        Err(_) => (units / SCALE) as u64,
    }
}

/// `⌈a / b⌉` for `a ≥ 0`, `b > 0`, in 64-bit arithmetic when both fit.
fn div_ceil(a: i128, b: i128) -> i128 {
    match (u64::try_from(a), u64::try_from(b)) {
        (Ok(a), Ok(b)) => a.div_ceil(b) as i128,
        _ => (a + b - 1) / b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: SimTime = SimTime(SimTime::NANOS_PER_MIN);

    #[test]
    fn starts_full_and_admits_exactly_capacity_at_once() {
        let mut b = TokenBucket::new(50, MIN);
        let mut admitted = 0;
        while b.fits(SimTime::ZERO, SCALE) {
            b.debit(SimTime::ZERO, SCALE);
            admitted += 1;
        }
        assert_eq!(admitted, 50);
    }

    #[test]
    fn refills_one_request_every_limit_over_sixty_seconds() {
        let mut b = TokenBucket::new(60, MIN);
        b.debit(SimTime::ZERO, 60 * SCALE);
        assert_eq!(
            b.wait_static(SimTime::ZERO, SCALE),
            Some(SimTime::from_secs(1))
        );
        assert!(!b.fits(SimTime(999_999_999), SCALE));
        assert!(b.fits(SimTime::from_secs(1), SCALE));
    }

    #[test]
    fn idle_time_never_banks_more_than_capacity() {
        let mut b = TokenBucket::new(10, MIN);
        assert_eq!(b.remaining(SimTime::from_secs(3600)), 10);
    }

    #[test]
    fn burst_option_shrinks_capacity() {
        let b = TokenBucket::new(60, SimTime::from_secs(1));
        assert_eq!(b.capacity_tokens(), 1);
        assert_eq!(b.wait_static(SimTime::ZERO, 2 * SCALE), None);
    }

    #[test]
    fn drain_spreads_a_debit_and_may_go_negative() {
        // 8,000 OTPM; a 1,000-token response over 10 s while the bucket is empty.
        let mut b = TokenBucket::new(8000, MIN);
        b.debit(SimTime::ZERO, 8000 * SCALE);
        let gen_ns = 10 * SimTime::NANOS_PER_SEC as i128;
        let rate = 1000 * SCALE / gen_ns;
        // Refill 8000/min = 133.3/s is slower than 100/s? No: 1000/10 s = 100/s < 133/s.
        b.start_drain(SimTime::ZERO, rate);
        let after = b.level_scaled(SimTime::from_secs(10));
        // net refill over 10 s = 1333.3 − 1000 = 333.3 tokens
        assert_eq!(after / SCALE, 333);
        b.stop_drain(SimTime::from_secs(10), rate);
        let mut c = TokenBucket::new(60, MIN);
        c.debit(SimTime::ZERO, 60 * SCALE);
        c.start_drain(SimTime::ZERO, 3 * SCALE / SimTime::NANOS_PER_SEC as i128);
        assert!(
            c.level_scaled(SimTime::from_secs(1)) < 0,
            "drain of 3/s beats a 1/s refill"
        );
    }

    #[test]
    fn fast_division_agrees_with_128_bit_division() {
        let big = i128::from(u64::MAX) * 3;
        for (a, b) in [
            (0, 1),
            (1, 1),
            (7, 2),
            (SCALE * 5 - 1, SCALE),
            (big, 7),
            (big, big / 2 + 1),
        ] {
            assert_eq!(div_ceil(a, b), (a + b - 1) / b, "{a} / {b}");
        }
        for u in [0, SCALE - 1, SCALE, 3 * SCALE + 1, big] {
            assert_eq!(whole_tokens(u) as i128, u / SCALE, "{u}");
        }
    }

    #[test]
    fn full_at_is_time_to_refill_the_deficit() {
        let mut b = TokenBucket::new(100_000, MIN);
        b.debit(SimTime::ZERO, 100_000 * SCALE);
        assert_eq!(b.full_at(SimTime::ZERO), MIN);
        b.credit(SimTime::ZERO, 50_000 * SCALE);
        assert_eq!(b.full_at(SimTime::ZERO), SimTime::from_secs(30));
    }
}
