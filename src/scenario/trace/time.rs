//! Trace timestamps: RFC 3339 times (read with `jiff`) or seconds as a
//! number, both to nanoseconds.

use serde_json::Value;

use super::cell::{TimeKind, Val, found};

/// A trace cell that is neither an RFC 3339 time nor seconds; the row
/// reader prefixes `timestamp: ` and points it at the cell.
#[derive(Debug, thiserror::Error)]
#[error(
    "expected an RFC 3339 time such as 2026-11-02T09:15:03.250Z, or seconds as a number, found {found}{why}"
)]
pub(super) struct TimestampError {
    /// The cell, quoted and shortened ([`found`]).
    found: String,
    /// What is wrong with it as an RFC 3339 time, if anything can be said.
    why: Rfc3339Error,
}

/// A time in nanoseconds since the Unix epoch (or since zero, for seconds
/// that are not epoch seconds: only differences matter).
pub(super) fn timestamp(v: Val) -> Result<Option<(i128, TimeKind)>, TimestampError> {
    let not_a_time = |why| TimestampError {
        found: found(v),
        why,
    };
    match v {
        Val::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            if let Some(ns) = decimal_seconds(t) {
                return Ok(Some((ns, TimeKind::Seconds)));
            }
            rfc3339(t)
                .map(|ns| Some((ns, TimeKind::Rfc3339)))
                .map_err(not_a_time)
        }
        Val::Json(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some((i as i128 * 1_000_000_000, TimeKind::Seconds)))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < 1e15 => {
                        Ok(Some(((f * 1e9).round() as i128, TimeKind::Seconds)))
                    }
                    _ => Err(not_a_time(Rfc3339Error::Unrecognised)),
                }
            }
        }
        Val::Json(_) => Err(not_a_time(Rfc3339Error::Unrecognised)),
    }
}

/// `12`, `-3.5`, `1762074903.250` (exactly, to the nanosecond), or a float
/// with an exponent; `None` if it is not a number.
fn decimal_seconds(s: &str) -> Option<i128> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    let digits = |x: &str| x.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) || int.len() > 15 {
        // Exponent forms (`1.76e9`) go through a float.
        if body.contains(['e', 'E']) {
            let f: f64 = s.parse().ok()?;
            return (f.is_finite() && f.abs() < 1e15).then(|| (f * 1e9).round() as i128);
        }
        return None;
    }
    let whole: i128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut nanos: i128 = 0;
    for i in 0..9 {
        let d = frac.as_bytes().get(i).map_or(0, |b| (b - b'0') as i128);
        nanos = nanos * 10 + d;
    }
    let ns = whole * 1_000_000_000 + nanos;
    Some(if neg { -ns } else { ns })
}

/// Why a text is not an RFC 3339 time. It displays as a parenthesised
/// hint with a leading space (or nothing), to follow "found `…`".
#[derive(Debug, thiserror::Error)]
enum Rfc3339Error {
    /// A valid date and time without `Z` or an offset: the instant is
    /// ambiguous.
    #[error(" (no time zone: end it with Z or an offset such as +01:00)")]
    NoTimeZone,
    /// A valid date alone.
    #[error(" (a date without a time)")]
    DateOnly,
    /// Starts like a date, but a field is out of range (February 30th,
    /// hour 25) or malformed; jiff says which.
    #[error(" (a field is out of range or malformed: {0})")]
    Field(#[source] jiff::Error),
    /// Nothing like a time (or not text at all): no hint beyond the
    /// expected forms.
    #[error("")]
    Unrecognised,
}

/// RFC 3339 (`2026-11-02T09:15:03.250Z`, `…+01:00`; `t` or a space may
/// replace `T`): nanoseconds since the Unix epoch, or a hint of what is wrong.
fn rfc3339(s: &str) -> Result<i128, Rfc3339Error> {
    match s.parse::<jiff::Timestamp>() {
        Ok(t) => Ok(t.as_nanosecond()),
        // Say what is missing when the rest is a valid date or date-time.
        Err(_) if s.parse::<jiff::civil::DateTime>().is_ok() && s.len() > 10 => {
            Err(Rfc3339Error::NoTimeZone)
        }
        Err(_) if s.parse::<jiff::civil::Date>().is_ok() => Err(Rfc3339Error::DateOnly),
        Err(e) if s.len() >= 10 && s.as_bytes()[..4].iter().all(u8::is_ascii_digit) => {
            Err(Rfc3339Error::Field(e))
        }
        Err(_) => Err(Rfc3339Error::Unrecognised),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_epochs() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z").ok(), Some(0));
        // date -u -d 2026-11-02T09:15:03Z +%s
        assert_eq!(
            rfc3339("2026-11-02T09:15:03.250Z").ok(),
            Some(1_793_610_903_250_000_000)
        );
        assert_eq!(
            rfc3339("2026-11-02T10:15:03.25+01:00").ok(),
            rfc3339("2026-11-02T09:15:03.250Z").ok()
        );
        assert_eq!(
            rfc3339("2024-02-29 23:59:59-00:30").ok(),
            rfc3339("2024-03-01t00:29:59z").ok()
        );
        let hint = |s: &str| rfc3339(s).unwrap_err().to_string();
        assert!(hint("2026-11-02T09:15:03").contains("time zone"));
        assert!(hint("2026-02-30T00:00:00Z").contains("out of range"));
        assert!(hint("2026-11-02").contains("without a time"));
        assert_eq!(hint("yesterday"), "");
    }

    #[test]
    fn seconds_are_exact() {
        assert_eq!(
            decimal_seconds("1762074903.250"),
            Some(1_762_074_903_250_000_000)
        );
        assert_eq!(decimal_seconds("-1.5"), Some(-1_500_000_000));
        assert_eq!(decimal_seconds(".5"), Some(500_000_000));
        assert_eq!(decimal_seconds("1e3"), Some(1_000_000_000_000));
        assert_eq!(decimal_seconds("abc"), None);
        assert_eq!(decimal_seconds("2026-11-02T09:15:03Z"), None);
    }
}
