//! `--param PATH=VALUES`: a path into the scenario and the values it takes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A `--param PATH=VALUES` that does not parse. Every message starts with
/// the flag as given.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// No `=` between the path and the values.
    #[error("--param `{spec}`: expected PATH=VALUES, e.g. streams.chat.rate_per_min=20,40,80")]
    NoValuesGiven {
        /// The flag as given.
        spec: String,
    },
    /// An empty path, or one with an empty segment (`a..b`, `.a`).
    #[error("--param `{spec}`: `{path}` is not a dotted path")]
    NotAPath {
        /// The flag as given.
        spec: String,
        /// The path part.
        path: String,
    },
    /// A range bound or step (`a..b:step`) that is not a number.
    #[error("--param `{spec}`: `{value}` is not a number")]
    NotANumber {
        /// The flag as given.
        spec: String,
        /// The part that is not a number.
        value: String,
    },
    /// A range that runs backwards or does not advance.
    #[error("--param `{spec}`: a range needs a <= b and a step > 0")]
    EmptyRange {
        /// The flag as given.
        spec: String,
    },
    /// A range of more than 10,000 values (a step too small for its span).
    #[error("--param `{spec}`: {count} values is too many")]
    TooManyValues {
        /// The flag as given.
        spec: String,
        /// Values the range would give.
        count: usize,
    },
    /// Nothing after the `=`, or an empty item in a list (`1,,2`).
    #[error("--param `{spec}`: no values")]
    NoValues {
        /// The flag as given.
        spec: String,
    },
}

/// One swept parameter: a path into the scenario and its values.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// As written, e.g. `strategy.token_bucket.fraction`.
    pub path: String,
    /// Values in sweep order.
    pub values: Vec<Value>,
}

impl Param {
    /// Parses `PATH=a..b:step`, `PATH=v1,v2,...` or `PATH=v`.
    pub fn parse(spec: &str) -> Result<Param, ParamError> {
        let (path, values) = spec
            .split_once('=')
            .ok_or_else(|| ParamError::NoValuesGiven { spec: spec.into() })?;
        let path = path.trim();
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(ParamError::NotAPath {
                spec: spec.into(),
                path: path.into(),
            });
        }
        let values = values.trim();
        let parsed = if let Some((range, step)) = values.split_once(':')
            && let Some((a, b)) = range.split_once("..")
        {
            let num = |x: &str| {
                x.trim().parse::<f64>().map_err(|_| ParamError::NotANumber {
                    spec: spec.into(),
                    value: x.into(),
                })
            };
            let (a, b, step) = (num(a)?, num(b)?, num(step)?);
            if step.is_nan() || step <= 0.0 || b < a {
                return Err(ParamError::EmptyRange { spec: spec.into() });
            }
            let n = ((b - a) / step + 1e-9).floor() as usize + 1;
            if n > 10_000 {
                return Err(ParamError::TooManyValues {
                    spec: spec.into(),
                    count: n,
                });
            }
            (0..n)
                .map(|i| number((a + step * i as f64 * 1.0).clamp(a, b)))
                .collect()
        } else {
            values
                .split(',')
                .map(|v| scalar(v.trim()))
                .collect::<Vec<_>>()
        };
        if parsed.is_empty() || parsed.iter().any(|v| v == &Value::String(String::new())) {
            return Err(ParamError::NoValues { spec: spec.into() });
        }
        Ok(Param {
            path: path.to_string(),
            values: parsed,
        })
    }
}

/// A number as JSON, integral values as integers (limits must be whole).
fn number(x: f64) -> Value {
    let x = crate::text::num::round(x, 9);
    if x.fract() == 0.0 && x.abs() < 9e15 {
        Value::from(x as i64)
    } else {
        serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)
    }
}

fn scalar(s: &str) -> Value {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() => number(x),
        _ => match s {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(s.to_string()),
        },
    }
}
