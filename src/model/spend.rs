//! The monthly spend limit: cumulative cost per calendar month, checked
//! before every admission.
//!
//! The rate-limits and errors pages (see [`SPEND_SOURCE`]) say that when an
//! organisation reaches its usage tier's monthly spend limit, usage "pauses
//! until 00:00 UTC on the first day of the next month": requests get
//! `429 rate_limit_error` with `error_code: enforced_spend_limit_reached` and
//! no `retry-after`, and "retrying, including the SDKs' automatic retries,
//! fails until access resumes". A lower limit the organisation set itself
//! answers `400 invalid_request_error` instead. Simulated time 0 is a
//! calendar instant (`start_unix_s`), so months have their real lengths.

use crate::engine::SimTime;

/// Where the spend-limit behaviour comes from.
pub const SPEND_SOURCE: &str = "Anthropic rate-limits documentation \
(https://platform.claude.com/docs/en/api/rate-limits, spend limits) and errors documentation \
(https://platform.claude.com/docs/en/api/errors), archived copies read 2026-11";

/// Default calendar instant of simulated time 0: 2026-01-01T00:00:00Z, the
/// start of a month, so the first simulated month is a whole one.
pub const DEFAULT_START_UNIX_S: i64 = 1_767_225_600;

/// Which spend limit binds, and so how the server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpendLimitKind {
    /// The usage tier's cap: 429 `enforced_spend_limit_reached`.
    Tier,
    /// A lower limit the organisation set: 400 `invalid_request_error`.
    SelfSet,
}

/// A monthly spend limit in force.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpendLimit {
    /// The cap per calendar month, USD.
    pub monthly_usd: f64,
    /// How the server answers once it is reached.
    pub kind: SpendLimitKind,
    /// Unix seconds of simulated time 0 (UTC).
    pub start_unix_s: i64,
}

/// Nano-dollars per dollar: spend is summed in whole nano-dollars, so
/// twenty $0.075 requests make exactly $1.50 (floating-point sums would
/// fall a hair short of a cap and let one more request through).
const NANO: f64 = 1e9;

/// Spend so far in the current calendar month.
#[derive(Clone, Debug)]
pub struct SpendMeter {
    limit: SpendLimit,
    cap_nano: u64,
    spent_nano: u64,
    month_end: SimTime,
}

impl SpendMeter {
    /// Nothing spent yet; the month is the one holding simulated time 0.
    pub fn new(limit: SpendLimit) -> SpendMeter {
        SpendMeter {
            limit,
            cap_nano: to_nano(limit.monthly_usd),
            spent_nano: 0,
            month_end: next_month_start(limit.start_unix_s, SimTime::ZERO),
        }
    }

    /// The limit.
    pub fn limit(&self) -> SpendLimit {
        self.limit
    }

    fn advance(&mut self, now: SimTime) {
        if now >= self.month_end {
            self.spent_nano = 0;
            self.month_end = next_month_start(self.limit.start_unix_s, now);
        }
    }

    /// Whether spending is paused at `now`; if so, when it resumes (00:00
    /// UTC on the first of the next month).
    pub fn paused_until(&mut self, now: SimTime) -> Option<SimTime> {
        self.advance(now);
        (self.spent_nano >= self.cap_nano).then_some(self.month_end)
    }

    /// Adds the cost of an admitted request (it may overshoot the cap, as a
    /// request admitted just under it does).
    pub fn record(&mut self, now: SimTime, usd: f64) {
        self.advance(now);
        self.spent_nano = self.spent_nano.saturating_add(to_nano(usd));
    }

    /// Spent so far this month, USD.
    pub fn spent_usd(&mut self, now: SimTime) -> f64 {
        self.advance(now);
        self.spent_nano as f64 / NANO
    }
}

/// Whole nano-dollars, rounded; negative or non-finite amounts count as 0.
fn to_nano(usd: f64) -> u64 {
    if usd.is_finite() && usd > 0.0 {
        (usd * NANO).round() as u64
    } else {
        0
    }
}

/// The simulated time of 00:00 UTC on the first day of the month after the
/// one holding `now`, when simulated time 0 is `start_unix_s`.
pub fn next_month_start(start_unix_s: i64, now: SimTime) -> SimTime {
    let unix = start_unix_s + (now.as_nanos() / SimTime::NANOS_PER_SEC) as i64;
    let (y, m, _) = civil_from_days(unix.div_euclid(86_400));
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    let next = days_from_civil(ny, nm, 1) * 86_400;
    SimTime::from_secs((next - start_unix_s).max(0) as u64)
}

/// `YYYY-MM-DD` of the UTC day holding `unix_s`.
pub fn format_date(unix_s: i64) -> String {
    let (y, m, d) = civil_from_days(unix_s.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Unix seconds of 00:00 UTC on a calendar date.
pub fn unix_midnight(year: i64, month: u32, day: u32) -> i64 {
    days_from_civil(year, month, day) * 86_400
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + (m <= 2) as i64, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_start_is_new_year_2026() {
        assert_eq!(days_from_civil(2026, 1, 1) * 86_400, DEFAULT_START_UNIX_S);
        assert_eq!(civil_from_days(days_from_civil(2024, 2, 29)), (2024, 2, 29));
    }

    #[test]
    fn months_have_their_calendar_lengths() {
        // From 2026-01-01: January has 31 days, February 2026 28.
        let jan = next_month_start(DEFAULT_START_UNIX_S, SimTime::ZERO);
        assert_eq!(jan, SimTime::from_secs(31 * 86_400));
        let feb = next_month_start(DEFAULT_START_UNIX_S, jan);
        assert_eq!(feb, SimTime::from_secs(59 * 86_400));
        // Starting mid-month (2026-01-15), the first pause lasts to Feb 1.
        let mid = DEFAULT_START_UNIX_S + 14 * 86_400;
        assert_eq!(
            next_month_start(mid, SimTime::ZERO),
            SimTime::from_secs(17 * 86_400)
        );
    }

    #[test]
    fn spending_pauses_at_the_cap_until_the_first_of_the_next_month() {
        let mut m = SpendMeter::new(SpendLimit {
            monthly_usd: 100.0,
            kind: SpendLimitKind::Tier,
            start_unix_s: DEFAULT_START_UNIX_S,
        });
        let day = |d: u64| SimTime::from_secs(d * 86_400);
        m.record(day(3), 99.0);
        assert_eq!(m.paused_until(day(3)), None);
        m.record(day(4), 1.5); // admitted just under the cap, overshoots
        assert_eq!(m.paused_until(day(4)), Some(day(31)));
        assert_eq!(m.paused_until(day(31)), None);
        assert_eq!(m.spent_usd(day(31)), 0.0);
    }
}
