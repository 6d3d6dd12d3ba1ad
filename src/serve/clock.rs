//! The server's clock: wall time since start, optionally accelerated, as the
//! [`SimTime`] the model takes. The only reader of the wall clock below the
//! CLI; everything it feeds (limiter, cache, latency) receives `now`.

use std::time::{Duration, Instant};

use crate::engine::SimTime;

/// Maps wall time to simulated time and back.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Instant,
    speed: f64,
}

impl Clock {
    /// Starts counting now; `speed` simulated seconds pass per wall second
    /// (anything not positive and finite counts as 1).
    pub fn start(speed: f64) -> Clock {
        Clock {
            origin: Instant::now(),
            speed: if speed.is_finite() && speed > 0.0 {
                speed
            } else {
                1.0
            },
        }
    }

    /// Simulated seconds per wall second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// Simulated time now.
    pub fn now(&self) -> SimTime {
        self.sim_of(self.origin.elapsed())
    }

    /// Simulated time after `wall` has passed since start.
    pub fn sim_of(&self, wall: Duration) -> SimTime {
        SimTime((wall.as_nanos() as f64 * self.speed) as u64)
    }

    /// The wall instant at which simulated time `t` is reached.
    pub fn wall_at(&self, t: SimTime) -> Instant {
        self.origin + self.wall_span(t)
    }

    /// How long a simulated span lasts on the wall.
    pub fn wall_span(&self, t: SimTime) -> Duration {
        Duration::from_nanos((t.as_nanos() as f64 / self.speed) as u64)
    }

    /// Wall time since start.
    pub fn elapsed(&self) -> Duration {
        self.origin.elapsed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speed_scales_both_ways() {
        let c = Clock::start(10.0);
        assert_eq!(c.sim_of(Duration::from_secs(6)), SimTime::from_secs(60));
        assert_eq!(c.wall_span(SimTime::from_secs(60)), Duration::from_secs(6));
        assert_eq!(Clock::start(-1.0).speed(), 1.0);
    }
}
