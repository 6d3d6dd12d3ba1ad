//! Arrival processes: when logical requests appear.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::engine::SimTime;

/// A (possibly time-varying) Poisson arrival process.
#[derive(Clone, Debug, PartialEq)]
pub enum ArrivalProcess {
    /// Homogeneous Poisson at `rate_per_min`.
    Poisson {
        /// Mean arrivals per minute.
        rate_per_min: f64,
    },
    /// Evenly spaced arrivals, exactly `rate_per_min` a minute (no
    /// randomness): for hand-checkable capacity plans.
    Constant {
        /// Arrivals per minute.
        rate_per_min: f64,
    },
    /// On/off bursts: `burst_per_min` for `burst_length` at the start of every
    /// `period`, `base_per_min` otherwise.
    Bursts {
        /// Rate between bursts.
        base_per_min: f64,
        /// Rate during a burst.
        burst_per_min: f64,
        /// Length of each burst.
        burst_length: SimTime,
        /// Time from one burst's start to the next.
        period: SimTime,
        /// Start of the first burst.
        offset: SimTime,
    },
    /// A daily profile on a Poisson base: `rate_per_min × hourly[h]` where `h`
    /// is the hour of the simulated day (the run starts at midnight).
    Diurnal {
        /// Base rate per minute.
        rate_per_min: f64,
        /// 24 multipliers, one per hour.
        hourly: [f64; 24],
    },
    /// No background traffic (only spikes).
    None,
}

/// Scheduled extra requests.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spike {
    /// When the spike starts.
    pub at: SimTime,
    /// How many requests it adds.
    pub count: u64,
    /// Spread the requests evenly over this long (zero: all at once).
    pub over: SimTime,
}

impl ArrivalProcess {
    /// The same process with every rate multiplied by `factor` (demand
    /// growth in capacity plans).
    pub fn scaled(&self, factor: f64) -> ArrivalProcess {
        let mut p = self.clone();
        match &mut p {
            ArrivalProcess::Poisson { rate_per_min }
            | ArrivalProcess::Constant { rate_per_min }
            | ArrivalProcess::Diurnal { rate_per_min, .. } => *rate_per_min *= factor,
            ArrivalProcess::Bursts {
                base_per_min,
                burst_per_min,
                ..
            } => {
                *base_per_min *= factor;
                *burst_per_min *= factor;
            }
            ArrivalProcess::None => {}
        }
        p
    }

    /// Multipliers for a smooth day peaking at `peak_hour`, with the peak
    /// `peak_to_trough` times the trough and the peak multiplier equal to 1.
    pub fn diurnal_profile(peak_hour: f64, peak_to_trough: f64) -> [f64; 24] {
        let trough = 1.0 / peak_to_trough.max(1.0);
        let mut m = [0.0; 24];
        for (h, v) in m.iter_mut().enumerate() {
            // Evaluate at the middle of the hour.
            let phase = 2.0 * std::f64::consts::PI * ((h as f64 + 0.5) - peak_hour) / 24.0;
            *v = trough + (1.0 - trough) * (1.0 + phase.cos()) / 2.0;
        }
        m
    }

    /// Instantaneous rate per nanosecond at `t`.
    fn rate_at(&self, t: SimTime) -> f64 {
        let per_min = match self {
            ArrivalProcess::Poisson { rate_per_min }
            | ArrivalProcess::Constant { rate_per_min } => *rate_per_min,
            ArrivalProcess::Bursts {
                base_per_min,
                burst_per_min,
                burst_length,
                period,
                offset,
            } => {
                let in_burst = t >= *offset
                    && period.as_nanos() > 0
                    && (t.as_nanos() - offset.as_nanos()) % period.as_nanos()
                        < burst_length.as_nanos();
                if in_burst {
                    *burst_per_min
                } else {
                    *base_per_min
                }
            }
            ArrivalProcess::Diurnal {
                rate_per_min,
                hourly,
            } => {
                let hour = (t.as_nanos() / (3600 * SimTime::NANOS_PER_SEC)) % 24;
                rate_per_min * hourly[hour as usize]
            }
            ArrivalProcess::None => 0.0,
        };
        per_min / SimTime::NANOS_PER_MIN as f64
    }

    /// The largest rate per nanosecond, the envelope for thinning.
    fn max_rate(&self) -> f64 {
        let per_min = match self {
            ArrivalProcess::Poisson { rate_per_min }
            | ArrivalProcess::Constant { rate_per_min } => *rate_per_min,
            ArrivalProcess::Bursts {
                base_per_min,
                burst_per_min,
                ..
            } => base_per_min.max(*burst_per_min),
            ArrivalProcess::Diurnal {
                rate_per_min,
                hourly,
            } => rate_per_min * hourly.iter().copied().fold(0.0, f64::max),
            ArrivalProcess::None => 0.0,
        };
        per_min / SimTime::NANOS_PER_MIN as f64
    }

    /// Mean rate per minute over `horizon` (for validation and reports).
    pub fn mean_rate_per_min(&self, horizon: SimTime) -> f64 {
        match self {
            ArrivalProcess::Poisson { rate_per_min }
            | ArrivalProcess::Constant { rate_per_min } => *rate_per_min,
            _ => {
                let steps = 1440u64;
                let h = horizon.as_nanos().max(1);
                (0..steps)
                    .map(|i| self.rate_at(SimTime(h / steps * i + h / steps / 2)))
                    .sum::<f64>()
                    / steps as f64
                    * SimTime::NANOS_PER_MIN as f64
            }
        }
    }
}

/// Draws successive arrival times of one process (Lewis–Shedler thinning:
/// exact for any bounded rate function).
#[derive(Clone, Debug)]
pub struct ArrivalClock {
    process: ArrivalProcess,
    envelope: f64,
    last: SimTime,
}

impl ArrivalClock {
    /// A clock at time zero.
    pub fn new(process: ArrivalProcess) -> ArrivalClock {
        let envelope = process.max_rate();
        ArrivalClock {
            process,
            envelope,
            last: SimTime::ZERO,
        }
    }

    /// The next arrival strictly after the previous one, or `None` when the
    /// process has no traffic or passes `until`.
    pub fn next(&mut self, rng: &mut ChaCha8Rng, until: SimTime) -> Option<SimTime> {
        if self.envelope <= 0.0 {
            return None;
        }
        if let ArrivalProcess::Constant { rate_per_min } = self.process {
            let gap = SimTime::NANOS_PER_MIN as f64 / rate_per_min;
            let k = (self.last.as_nanos() as f64 / gap).round() + 1.0;
            let at = SimTime((k * gap).round() as u64);
            if at >= until {
                return None;
            }
            self.last = at;
            return Some(at);
        }
        let mut t = self.last.as_nanos() as f64;
        loop {
            let u: f64 = rng.random();
            t += -(1.0 - u).ln() / self.envelope;
            if t >= until.as_nanos() as f64 {
                return None;
            }
            let at = SimTime(t as u64);
            let accept: f64 = rng.random();
            if accept * self.envelope < self.process.rate_at(at) {
                self.last = at;
                return Some(at);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn count(p: ArrivalProcess, horizon: SimTime) -> u64 {
        let mut c = ArrivalClock::new(p);
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        std::iter::from_fn(|| c.next(&mut rng, horizon)).count() as u64
    }

    #[test]
    fn constant_arrivals_are_evenly_spaced() {
        let mut c = ArrivalClock::new(ArrivalProcess::Constant { rate_per_min: 30.0 });
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let ts: Vec<u64> = std::iter::from_fn(|| c.next(&mut rng, SimTime::from_secs(10)))
            .map(|t| t.as_nanos())
            .collect();
        assert_eq!(
            ts,
            vec![2_000_000_000, 4_000_000_000, 6_000_000_000, 8_000_000_000]
        );
    }

    #[test]
    fn poisson_count_matches_rate() {
        // 60/min for 1000 min: mean 60,000, sd ≈ 245.
        let n = count(
            ArrivalProcess::Poisson { rate_per_min: 60.0 },
            SimTime::from_secs(60_000),
        );
        assert!((n as f64 - 60_000.0).abs() < 4.0 * 245.0, "{n}");
    }

    #[test]
    fn bursts_concentrate_traffic_in_the_on_phase() {
        // 10 s bursts at 600/min every 60 s, nothing in between: 100 per period.
        let p = ArrivalProcess::Bursts {
            base_per_min: 0.0,
            burst_per_min: 600.0,
            burst_length: SimTime::from_secs(10),
            period: SimTime::from_secs(60),
            offset: SimTime::ZERO,
        };
        let mut c = ArrivalClock::new(p);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut n = 0;
        while let Some(t) = c.next(&mut rng, SimTime::from_secs(6000)) {
            assert!(t.as_nanos() % (60 * SimTime::NANOS_PER_SEC) < 10 * SimTime::NANOS_PER_SEC);
            n += 1;
        }
        assert!((n as f64 - 10_000.0).abs() < 400.0, "{n}");
    }

    #[test]
    fn diurnal_profile_peaks_at_the_peak_hour() {
        let m = ArrivalProcess::diurnal_profile(14.0, 4.0);
        let peak = m.iter().copied().fold(0.0, f64::max);
        let trough = m.iter().copied().fold(f64::MAX, f64::min);
        assert!(m[13] > 0.98 && m[14] > 0.98);
        assert!((peak / trough - 4.0).abs() < 0.1);
    }
}
