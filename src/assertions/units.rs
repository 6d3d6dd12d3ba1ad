//! Units written where only numbers belong (`latency_ms.p99 < 2.5s`,
//! `cost_usd < $5`, `latency_ms.p99 < 5%`): each is a parse error saying
//! what to write instead, in the unit of the metric it is compared with.

use super::Comparison;
use super::error::ParseError;
use super::eval::fmt_num;
use super::expr::Expr;
use super::lex::{Tok, Token};

/// The unit a metric's name gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    Millis,
    Seconds,
    Usd,
    PerMinute,
}

impl Unit {
    fn describe(self) -> &'static str {
        match self {
            Unit::Millis => "in milliseconds",
            Unit::Seconds => "in seconds",
            Unit::Usd => "in US dollars",
            Unit::PerMinute => "a count per minute",
        }
    }
}

/// The unit of a metric path and the segment that says so (`latency_ms`
/// for `by_class.x.latency_ms.p99`), the last such segment winning.
fn unit_of(path: &str) -> Option<(Unit, &str)> {
    path.rsplit('.').find_map(|seg| {
        let unit = if seg.ends_with("_ms") {
            Unit::Millis
        } else if seg.ends_with("_per_min") {
            Unit::PerMinute
        } else if seg.ends_with("_usd") {
            Unit::Usd
        } else if seg.ends_with("_s") {
            Unit::Seconds
        } else {
            return None;
        };
        Some((unit, seg))
    })
}

/// Seconds in one of the time units the lexer recognises.
fn seconds_in(unit: &str) -> Option<f64> {
    match unit {
        "us" | "µs" => Some(1e-6),
        "ms" => Some(1e-3),
        "s" | "sec" | "secs" => Some(1.0),
        "m" | "min" | "mins" => Some(60.0),
        "h" | "hr" | "hrs" => Some(3600.0),
        _ => None,
    }
}

/// The error for the first number written with a unit, if any, in the
/// unit of the first metric (of the result or the baseline) whose name
/// gives one.
pub(super) fn quantity_error(tokens: &[Token]) -> Option<ParseError> {
    let (t, value, unit) = tokens.iter().find_map(|t| match &t.tok {
        Tok::Quantity { value, unit } => Some((t, *value, unit.as_str())),
        _ => None,
    })?;
    let metric = tokens.iter().find_map(|t| match &t.tok {
        Tok::Path(p) => unit_of(p.strip_prefix("baseline.").unwrap_or(p)),
        _ => None,
    });
    let why = match (seconds_in(unit), metric) {
        (Some(s), Some((Unit::Millis, name))) => {
            same_unit(name, unit == "ms", Unit::Millis, value * s * 1e3)
        }
        (Some(s), Some((Unit::Seconds, name))) => {
            same_unit(name, unit == "s", Unit::Seconds, value * s)
        }
        (Some(s), None) => format!(
            "numbers are written without units, in the unit a metric's name gives \
             (latency_ms is in milliseconds: {} is {})",
            t.text,
            fmt_num(value * s * 1e3)
        ),
        (None, Some((Unit::Usd, name))) if !matches!(unit, "k" | "K") => {
            same_unit(name, false, Unit::Usd, value)
        }
        (None, _) if matches!(unit, "k" | "K") => {
            format!(
                "numbers are written out in full; write {}",
                fmt_num(value * 1e3)
            )
        }
        (None, None) => format!(
            "numbers are written without units; write {}",
            fmt_num(value)
        ),
        (_, Some((u, name))) => format!(
            "numbers are written without units, and {name} is {}",
            u.describe()
        ),
    };
    Some(ParseError::new(
        t.column,
        format!("expected a number, found `{}`: {why}", t.text),
    ))
}

fn same_unit(name: &str, already: bool, unit: Unit, value: f64) -> String {
    let already = if already { " already" } else { "" };
    format!(
        "{name} is {}{already}; write {}",
        unit.describe(),
        fmt_num(value)
    )
}

/// `METRIC CMP N%` with a metric that has a unit: `5%` is the number 0.05,
/// not a change relative to anything.
pub(super) fn check_percent(
    tokens: &[Token],
    lhs: &Expr,
    comparison: Comparison,
    rhs: &Expr,
) -> Result<(), ParseError> {
    let (Expr::Metric(metric), Expr::Number(v)) = (lhs, rhs) else {
        return Ok(());
    };
    let Some((unit, name)) = unit_of(metric) else {
        return Ok(());
    };
    // The right-hand side is the one token after the operator.
    let Some(at) = tokens.iter().position(|t| matches!(t.tok, Tok::Cmp(_))) else {
        return Ok(());
    };
    let Some(t) = tokens.get(at + 1).filter(|t| t.text.ends_with('%')) else {
        return Ok(());
    };
    let factor = match comparison {
        Comparison::Gt | Comparison::Ge if *v <= 0.5 => 1.0 - v,
        Comparison::Gt | Comparison::Ge => *v,
        _ => 1.0 + v,
    };
    Err(ParseError::new(
        t.column,
        format!(
            "`{}` is the number {}, but {name} is {}; to compare with the baseline, \
             write e.g. `{metric} {comparison} {} * baseline`",
            t.text,
            fmt_num(*v),
            unit.describe(),
            fmt_num(factor)
        ),
    ))
}
