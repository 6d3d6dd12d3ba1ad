//! One rate-limit dimension behind one of the three documented algorithms.

use serde::{Deserialize, Serialize};

use super::bucket::{SCALE, TokenBucket};
use super::window::{FixedWindow, SlidingWindow};
use crate::engine::SimTime;

/// Which algorithm enforces the per-minute limits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// Continuous refill at limit/60 per second (what Anthropic documents).
    #[default]
    TokenBucket,
    /// Sum over the trailing 60 s (the "rolling minute").
    SlidingWindow,
    /// Counters reset at each whole minute.
    FixedWindow,
}

impl Algorithm {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::TokenBucket => "token_bucket",
            Algorithm::SlidingWindow => "sliding_window",
            Algorithm::FixedWindow => "fixed_window",
        }
    }
}

/// What a request needs from one dimension to be admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// This many whole units (requests or tokens).
    Units(u64),
    /// Any positive headroom (real-time OTPM: admitted while the bucket is
    /// positive; the response may then drive it negative).
    Positive,
}

/// A single dimension's limiter.
#[derive(Clone, Debug)]
pub enum Limiter {
    /// Token bucket.
    Bucket(TokenBucket),
    /// Rolling 60-second window.
    Sliding(SlidingWindow),
    /// Calendar-minute counter.
    Fixed(FixedWindow),
}

impl Limiter {
    /// A fresh limiter; `burst` sets the bucket capacity (ignored by windows).
    pub fn new(algorithm: Algorithm, limit_per_min: u64, burst: SimTime) -> Limiter {
        Limiter::with_floor(algorithm, limit_per_min, burst, 0)
    }

    /// A fresh limiter whose bucket holds at least `floor` units (capped at
    /// one minute's worth; see [`TokenBucket::with_floor`]). Windows hold a
    /// whole minute already and ignore both `burst` and `floor`.
    pub fn with_floor(
        algorithm: Algorithm,
        limit_per_min: u64,
        burst: SimTime,
        floor: u64,
    ) -> Limiter {
        match algorithm {
            Algorithm::TokenBucket => {
                Limiter::Bucket(TokenBucket::with_floor(limit_per_min, burst, floor))
            }
            Algorithm::SlidingWindow => Limiter::Sliding(SlidingWindow::new(limit_per_min)),
            Algorithm::FixedWindow => Limiter::Fixed(FixedWindow::new(limit_per_min)),
        }
    }

    /// The per-minute limit (the `-limit` header).
    pub fn limit(&self) -> u64 {
        match self {
            Limiter::Bucket(b) => b.limit(),
            Limiter::Sliding(w) => w.limit(),
            Limiter::Fixed(w) => w.limit(),
        }
    }

    /// The largest single need that can ever be admitted.
    pub fn capacity(&self) -> u64 {
        match self {
            Limiter::Bucket(b) => b.capacity_tokens(),
            Limiter::Sliding(w) => w.limit(),
            Limiter::Fixed(w) => w.limit(),
        }
    }

    /// Whether `need` could ever be admitted by an idle limiter.
    pub fn can_ever_fit(&self, need: Need) -> bool {
        match need {
            Need::Units(u) => u <= self.capacity(),
            Need::Positive => self.capacity() > 0,
        }
    }

    /// Whether `need` fits now.
    pub fn fits(&mut self, now: SimTime, need: Need) -> bool {
        match self {
            Limiter::Bucket(b) => b.fits(now, scaled(need)),
            Limiter::Sliding(w) => fits_window(w.used(now), w.limit(), need),
            Limiter::Fixed(w) => fits_window(w.used(now), w.limit(), need),
        }
    }

    /// Charges `units` now.
    pub fn debit(&mut self, now: SimTime, units: u64) {
        match self {
            Limiter::Bucket(b) => b.debit(now, units as i128 * SCALE),
            Limiter::Sliding(w) => w.debit(now, units),
            Limiter::Fixed(w) => w.debit(now, units),
        }
    }

    /// Refunds `units` that were charged at `charged_at`.
    pub fn credit(&mut self, now: SimTime, units: u64, charged_at: SimTime) {
        match self {
            Limiter::Bucket(b) => b.credit(now, units as i128 * SCALE),
            Limiter::Sliding(w) => w.credit(now, units, charged_at),
            Limiter::Fixed(w) => w.credit(now, units, charged_at),
        }
    }

    /// For a bucket, the token bucket itself (drains only exist there).
    pub fn as_bucket_mut(&mut self) -> Option<&mut TokenBucket> {
        match self {
            Limiter::Bucket(b) => Some(b),
            _ => None,
        }
    }

    /// Earliest time `need` fits if the state evolved only by refill/expiry.
    pub fn wait_static(&self, now: SimTime, need: Need) -> Option<SimTime> {
        match self {
            Limiter::Bucket(b) => b.wait_static(now, scaled(need)),
            Limiter::Sliding(w) => w.wait_static(now, window_units(need)),
            Limiter::Fixed(w) => w.wait_static(now, window_units(need)),
        }
    }

    /// Whether the headroom can only grow until something is charged or a
    /// drain starts (windows only ever forget usage).
    pub fn never_falls(&self) -> bool {
        match self {
            Limiter::Bucket(b) => b.never_falls(),
            Limiter::Sliding(_) | Limiter::Fixed(_) => true,
        }
    }

    /// Whole units left now (never negative).
    pub fn remaining(&mut self, now: SimTime) -> u64 {
        match self {
            Limiter::Bucket(b) => b.remaining(now),
            Limiter::Sliding(w) => w.limit().saturating_sub(w.used(now)),
            Limiter::Fixed(w) => w.limit().saturating_sub(w.used(now)),
        }
    }

    /// When the limiter will be fully replenished (the `-reset` header).
    pub fn reset_at(&mut self, now: SimTime) -> SimTime {
        match self {
            Limiter::Bucket(b) => b.full_at(now),
            Limiter::Sliding(w) => w.reset_at(now),
            Limiter::Fixed(w) => w.reset_at(now),
        }
    }
}

pub(crate) fn scaled(need: Need) -> i128 {
    match need {
        Need::Units(u) => u as i128 * SCALE,
        Need::Positive => 1,
    }
}

fn window_units(need: Need) -> u64 {
    match need {
        Need::Units(u) => u,
        Need::Positive => 1,
    }
}

fn fits_window(used: u64, limit: u64, need: Need) -> bool {
    match need {
        Need::Units(u) => used + u <= limit,
        Need::Positive => used < limit,
    }
}
