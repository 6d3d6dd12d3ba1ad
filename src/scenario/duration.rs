//! The one duration parser: scenario files (`deadline: 90s`) and the
//! command line (`--duration 12h`) read durations through [`parse`], so a
//! spelling that works in one place works in the other.
//!
//! A duration is one or more `NUMBER UNIT` terms (`90s`, `1h 30m`, `1h30m`,
//! `1.5h`, `250ms`), summed. A number needs a unit: a bare `2500` could be
//! seconds or milliseconds, so it is an error that says how to write it.

use crate::engine::SimTime;
use crate::text::suggest;

/// Units, their spellings and their length in nanoseconds.
const UNITS: &[(&str, u128)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000),
    ("ms", 1_000_000),
    ("s", NS_PER_S),
    ("sec", NS_PER_S),
    ("secs", NS_PER_S),
    ("second", NS_PER_S),
    ("seconds", NS_PER_S),
    ("m", 60 * NS_PER_S),
    ("min", 60 * NS_PER_S),
    ("mins", 60 * NS_PER_S),
    ("minute", 60 * NS_PER_S),
    ("minutes", 60 * NS_PER_S),
    ("h", 3600 * NS_PER_S),
    ("hr", 3600 * NS_PER_S),
    ("hrs", 3600 * NS_PER_S),
    ("hour", 3600 * NS_PER_S),
    ("hours", 3600 * NS_PER_S),
    ("d", 86_400 * NS_PER_S),
    ("day", 86_400 * NS_PER_S),
    ("days", 86_400 * NS_PER_S),
    ("w", 7 * 86_400 * NS_PER_S),
    ("week", 7 * 86_400 * NS_PER_S),
    ("weeks", 7 * 86_400 * NS_PER_S),
];

const NS_PER_S: u128 = 1_000_000_000;

/// Why a duration could not be read. The messages quote what was written
/// and say what to write instead.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurationError {
    /// Nothing was written.
    #[error("expected a duration, e.g. `90m`, `90s` or `1h 30m`, found nothing")]
    Empty,
    /// A number without a unit (`2500`).
    #[error(
        "`{number}` has no unit: write `{number}s`, `{number}ms`, `42m` or `1h 30m` \
         (units: ms, s, m, h, d)"
    )]
    NoUnit {
        /// The number as written.
        number: String,
    },
    /// A unit ratesim does not know (`5x`).
    #[error(
        "invalid duration `{text}`: unknown unit `{unit}`{hint}; expected e.g. `90m`, `90s`, \
         `1h 30m` or `250ms` (units: ms, s, m, h, d)"
    )]
    UnknownUnit {
        /// The whole duration as written.
        text: String,
        /// The unit as written.
        unit: String,
        /// A ready-made "; did you mean …?" (may be empty).
        hint: String,
    },
    /// Not a duration at all (`fast`, `1h 30`).
    #[error(
        "invalid duration `{text}`; expected e.g. `90m`, `90s`, `1h 30m` or `250ms` \
         (a number and a unit)"
    )]
    Invalid {
        /// The whole duration as written.
        text: String,
    },
    /// A negative duration (`-5m`).
    #[error("duration must not be negative, got `{text}`")]
    Negative {
        /// The whole duration as written.
        text: String,
    },
    /// Longer than simulated time can count (about 584 years).
    #[error("duration `{text}` is too long")]
    TooLong {
        /// The whole duration as written.
        text: String,
    },
}

/// Parses a duration (`90s`, `1h 30m`, `1.5h`, `250ms`) into simulated time.
pub fn parse(s: &str) -> Result<SimTime, DurationError> {
    let text = s.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    if text.starts_with('-') {
        return Err(DurationError::Negative { text: text.into() });
    }
    let invalid = || DurationError::Invalid { text: text.into() };
    let too_long = || DurationError::TooLong { text: text.into() };
    let mut rest = text.strip_prefix('+').unwrap_or(text);
    let mut total: u128 = 0;
    while !rest.is_empty() {
        // NUMBER: digits with an optional fraction.
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..n];
        let (int, frac) = number.split_once('.').unwrap_or((number, ""));
        if int.is_empty() && frac.is_empty() || frac.contains('.') {
            return Err(invalid());
        }
        rest = rest[n..].trim_start();
        // UNIT: letters (and µ) up to the next number or space.
        let u = rest
            .find(|c: char| !(c.is_alphabetic()))
            .unwrap_or(rest.len());
        let unit = &rest[..u];
        rest = rest[u..].trim_start();
        if unit.is_empty() {
            return Err(if rest.is_empty() && total == 0 {
                DurationError::NoUnit {
                    number: number.into(),
                }
            } else {
                invalid()
            });
        }
        let Some(&(_, scale)) = UNITS.iter().find(|(name, _)| *name == unit) else {
            return Err(DurationError::UnknownUnit {
                text: text.into(),
                unit: unit.into(),
                // One-letter typos are one edit from every one-letter unit:
                // only longer spellings get a suggestion.
                hint: if unit.chars().count() >= 3 {
                    suggest::hint(unit, UNITS.iter().map(|(n, _)| *n))
                } else {
                    String::new()
                },
            });
        };
        total = total
            .checked_add(term(int, frac, scale).ok_or_else(too_long)?)
            .ok_or_else(too_long)?;
    }
    u64::try_from(total).map(SimTime).map_err(|_| too_long())
}

/// `int.frac` units of `scale` nanoseconds, rounded to the nanosecond.
fn term(int: &str, frac: &str, scale: u128) -> Option<u128> {
    let whole: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut ns = whole.checked_mul(scale)?;
    // At most 9 fraction digits matter once multiplied by a unit of at least
    // a nanosecond... and at most 30 fit a u128 power of ten.
    let frac = &frac[..frac.len().min(12)];
    if !frac.is_empty() {
        let digits: u128 = frac.parse().ok()?;
        let den = 10u128.checked_pow(frac.len() as u32)?;
        ns = ns.checked_add((digits.checked_mul(scale)? + den / 2) / den)?;
    }
    Some(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> f64 {
        parse(s).unwrap().as_secs_f64()
    }

    #[test]
    fn units_and_sums() {
        assert_eq!(parse("90s"), Ok(SimTime::from_secs(90)));
        assert_eq!(parse("1h 30m"), Ok(SimTime::from_secs(5400)));
        assert_eq!(parse("1h30m"), Ok(SimTime::from_secs(5400)));
        assert_eq!(parse(" 250ms "), Ok(SimTime::from_millis(250)));
        assert_eq!(parse("2 days"), Ok(SimTime::from_secs(2 * 86_400)));
        assert_eq!(parse("1w"), Ok(SimTime::from_secs(7 * 86_400)));
        assert_eq!(parse("0s"), Ok(SimTime::ZERO));
        assert_eq!(parse("1.5h"), Ok(SimTime::from_secs(5400)));
        assert_eq!(parse("0.001s"), Ok(SimTime::from_millis(1)));
        assert_eq!(parse("1ns"), Ok(SimTime(1)));
        assert_eq!(secs("366d"), 366.0 * 86_400.0);
    }

    #[test]
    fn a_bare_number_asks_for_a_unit() {
        let e = parse("2500").unwrap_err();
        assert_eq!(
            e,
            DurationError::NoUnit {
                number: "2500".into()
            }
        );
        let msg = e.to_string();
        assert!(
            msg.starts_with("`2500` has no unit: write `2500s`"),
            "{msg}"
        );
    }

    #[test]
    fn bad_spellings_are_explained() {
        assert!(matches!(parse(""), Err(DurationError::Empty)));
        assert!(matches!(parse("-5m"), Err(DurationError::Negative { .. })));
        assert!(matches!(parse("fast"), Err(DurationError::Invalid { .. })));
        assert!(matches!(parse("1h 30"), Err(DurationError::Invalid { .. })));
        assert!(matches!(parse("1..5s"), Err(DurationError::Invalid { .. })));
        let e = parse("5x").unwrap_err().to_string();
        assert!(e.contains("invalid duration `5x`") && e.contains("unknown unit `x`"));
        let e = parse("10 secnds").unwrap_err().to_string();
        assert!(e.contains("did you mean `seconds`"), "{e}");
        assert!(matches!(
            parse("99999999999999999999d"),
            Err(DurationError::TooLong { .. })
        ));
        assert!(matches!(
            parse("600000d"),
            Err(DurationError::TooLong { .. })
        ));
    }
}
