use std::fmt;
use std::ops::{Add, Sub};

/// Simulated time in integer nanoseconds since the start of the run.
///
/// Integer time makes every comparison exact: no epsilon fudges, no drift
/// between machines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of the run.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any event a run can hold.
    pub const MAX: SimTime = SimTime(u64::MAX);
    /// Nanoseconds in one second.
    pub const NANOS_PER_SEC: u64 = 1_000_000_000;
    /// Nanoseconds in one minute.
    pub const NANOS_PER_MIN: u64 = 60 * Self::NANOS_PER_SEC;

    /// Whole seconds.
    pub const fn from_secs(s: u64) -> SimTime {
        SimTime(s.saturating_mul(Self::NANOS_PER_SEC))
    }

    /// Whole milliseconds.
    pub const fn from_millis(ms: u64) -> SimTime {
        SimTime(ms.saturating_mul(1_000_000))
    }

    /// Seconds as a float, rounded to the nearest nanosecond; negative and
    /// non-finite values clamp to zero.
    pub fn from_secs_f64(s: f64) -> SimTime {
        if s.is_finite() && s > 0.0 {
            SimTime((s * 1e9).round().min(u64::MAX as f64) as u64)
        } else {
            SimTime::ZERO
        }
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds as a float (for reports, never for ordering).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self + d`, saturating at [`SimTime::MAX`].
    pub const fn saturating_add(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// `self - earlier`, or zero if `earlier` is later.
    pub const fn saturating_sub(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl Add for SimTime {
    type Output = SimTime;
    fn add(self, rhs: SimTime) -> SimTime {
        self.saturating_add(rhs)
    }
}

impl Sub for SimTime {
    type Output = SimTime;
    fn sub(self, rhs: SimTime) -> SimTime {
        self.saturating_sub(rhs)
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3}s", self.as_secs_f64())
    }
}
