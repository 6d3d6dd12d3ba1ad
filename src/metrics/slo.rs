//! The service level a scenario holds its traffic to, judged per logical
//! request at the moment it ends.
//!
//! Success-only percentiles flatter a client that gives up early: a failed
//! request never enters the latency histogram. An SLO rule judges *every*
//! logical request — one that failed, expired or never finished misses it —
//! so `slo_attainment` (the share that met it) cannot be gamed that way.

use crate::engine::SimTime;

/// How one class's requests are judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SloRule {
    /// Succeeded within this long of arriving (interactive traffic).
    Within(SimTime),
    /// Succeeded by the next time the wall clock shows this time of day
    /// after the request arrived (a nightly job "done by 06:00").
    By {
        /// Time of day, from midnight.
        time_of_day: SimTime,
        /// Time of day at simulated time zero (from the scenario's `start:`;
        /// midnight without one).
        start_offset: SimTime,
    },
    /// Succeeded at all, however long it took (background or batch-like
    /// work held only to its own deadline, if the stream sets one).
    Succeeds,
}

impl SloRule {
    /// Whether a request that arrived at `arrival` and succeeded at `done`
    /// met the rule. A failure never does; the caller does not ask.
    pub fn met(&self, arrival: SimTime, done: SimTime) -> bool {
        match *self {
            SloRule::Within(d) => done.saturating_sub(arrival) <= d,
            SloRule::By {
                time_of_day,
                start_offset,
            } => done <= next_time_of_day(arrival, time_of_day, start_offset),
            SloRule::Succeeds => true,
        }
    }

    /// The rule in words, for reports ("within 30 s", "by 06:00", "succeeds").
    pub fn describe(&self) -> String {
        match *self {
            SloRule::Within(d) => format!("succeeds within {}", span(d)),
            SloRule::By { time_of_day, .. } => {
                let m = time_of_day.as_nanos() / SimTime::NANOS_PER_MIN;
                format!("succeeds by {:02}:{:02}", m / 60, m % 60)
            }
            SloRule::Succeeds => "succeeds (no latency target)".to_string(),
        }
    }
}

/// A target span in the largest unit that divides it (`30 s`, `20 min`,
/// `4 h`), or seconds with their fraction.
fn span(d: SimTime) -> String {
    let ns = d.as_nanos();
    for (unit, per) in [("h", 3600), ("min", 60), ("s", 1)] {
        let per = per * SimTime::NANOS_PER_SEC;
        if ns >= per && ns.is_multiple_of(per) {
            return format!("{} {unit}", ns / per);
        }
    }
    format!("{} s", d.as_secs_f64())
}

const DAY: u64 = 24 * 60 * SimTime::NANOS_PER_MIN;

/// The first instant at or after `arrival` whose time of day (with time
/// zero at `start_offset` past midnight) is `time_of_day`.
fn next_time_of_day(arrival: SimTime, time_of_day: SimTime, start_offset: SimTime) -> SimTime {
    let local = arrival.as_nanos() + start_offset.as_nanos();
    let day_start = local - local % DAY;
    let mut at = day_start + time_of_day.as_nanos();
    if at < local {
        at += DAY;
    }
    SimTime(at - start_offset.as_nanos())
}

/// A scenario's service level: a rule per priority class (`None`: the class
/// is not part of the SLO) and the share of requests that must meet it.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// Per class index.
    pub rules: Vec<Option<SloRule>>,
    /// Share of judged requests that must meet their rule (e.g. 0.99).
    pub attainment: f64,
}

impl Slo {
    /// The rule of class `class`, if it is judged.
    pub fn rule(&self, class: usize) -> Option<&SloRule> {
        self.rules.get(class).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hours: u64) -> SimTime {
        SimTime::from_secs(hours * 3600)
    }

    #[test]
    fn within_counts_the_boundary_as_met() {
        let r = SloRule::Within(SimTime::from_secs(30));
        assert!(r.met(SimTime::from_secs(10), SimTime::from_secs(40)));
        assert!(!r.met(
            SimTime::from_secs(10),
            SimTime(40 * SimTime::NANOS_PER_SEC + 1)
        ));
    }

    #[test]
    fn by_a_time_of_day_means_the_next_one_after_arrival() {
        // Time zero is 22:00; "by 06:00" is then 8 h after time zero for a
        // request arriving at 23:00 (1 h), and the following day's 06:00
        // for one arriving at 07:00 (9 h).
        let r = SloRule::By {
            time_of_day: h(6),
            start_offset: h(22),
        };
        assert!(r.met(h(1), h(8)));
        assert!(!r.met(h(1), h(8) + SimTime(1)));
        assert!(r.met(h(9), h(32)));
        assert!(!r.met(h(9), h(33)));
        // Arriving exactly at 06:00: the deadline is that same instant.
        assert!(r.met(h(8), h(8)));
        assert!(!r.met(h(8), h(8) + SimTime(1)));
    }

    #[test]
    fn descriptions_read_as_rules() {
        assert_eq!(
            SloRule::Within(SimTime::from_secs(30)).describe(),
            "succeeds within 30 s"
        );
        let by = SloRule::By {
            time_of_day: SimTime::from_secs(6 * 3600 + 30 * 60),
            start_offset: SimTime::ZERO,
        };
        assert_eq!(by.describe(), "succeeds by 06:30");
    }
}
