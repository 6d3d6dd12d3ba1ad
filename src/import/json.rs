//! Reading values out of parsed JSON with the JSON path of every value at
//! hand, so an error names exactly which field was wrong.

use std::io::Read;

use serde_json::Value;

use super::ImportError;

/// A parsed JSON document, or an error with the line and column where the
/// syntax broke.
pub(super) fn parse(file: &str, r: impl Read) -> Result<Value, ImportError> {
    serde_json::from_reader(r).map_err(|e| syntax(file, &e))
}

/// A serde_json error as an import error at its line and column.
pub(super) fn syntax(file: &str, e: &serde_json::Error) -> ImportError {
    if e.line() == 0 {
        return ImportError::file(file, e.to_string());
    }
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the position goes in front.
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_string();
    ImportError::at(
        file,
        format!("line {}, column {}", e.line(), e.column()),
        format!("malformed JSON: {msg}"),
    )
}

/// A short description of a JSON value for "found …" messages.
pub(super) fn kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.chars().count() > 40 => {
            format!("\"{}…\"", s.chars().take(40).collect::<String>())
        }
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// A whole non-negative number: a JSON number, or a decimal string (OTLP/JSON
/// writes 64-bit integers as strings); `None` for null or absent.
pub(super) fn count(file: &str, path: &str, v: Option<&Value>) -> Result<Option<u64>, ImportError> {
    let bad = |v: &Value, why: &str| {
        ImportError::at(
            file,
            path,
            format!(
                "expected a whole number of tokens ≥ 0, found {}{why}",
                kind(v)
            ),
        )
    };
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Number(n)) => {
            if let Some(u) = n.as_u64() {
                return Ok(Some(u));
            }
            if n.as_i64().is_some_and(|i| i < 0) {
                return Err(bad(v, " (counts must not be negative)"));
            }
            match n.as_f64() {
                Some(f) if f >= 0.0 && f.fract() == 0.0 && f < 1e18 => Ok(Some(f as u64)),
                Some(f) if f < 0.0 => Err(bad(v, " (counts must not be negative)")),
                _ => Err(bad(v, "")),
            }
        }
        Some(v @ Value::String(s)) => {
            let t = s.trim();
            if let Ok(u) = t.parse::<u64>() {
                return Ok(Some(u));
            }
            if t.starts_with('-') && t[1..].parse::<u64>().is_ok() {
                return Err(bad(v, " (counts must not be negative)"));
            }
            Err(bad(v, ""))
        }
        Some(v) => Err(bad(v, "")),
    }
}

/// A required field of an object.
pub(super) fn need<'a>(
    file: &str,
    path: &str,
    obj: &'a Value,
    key: &str,
) -> Result<&'a Value, ImportError> {
    match obj.get(key) {
        Some(v) => Ok(v),
        None => Err(ImportError::at(
            file,
            path,
            format!("missing field `{key}`"),
        )),
    }
}

/// A required array field.
pub(super) fn array<'a>(
    file: &str,
    path: &str,
    obj: &'a Value,
    key: &str,
) -> Result<&'a Vec<Value>, ImportError> {
    match need(file, path, obj, key)? {
        Value::Array(a) => Ok(a),
        v => Err(ImportError::at(
            file,
            format!("{path}.{key}"),
            format!("expected an array, found {}", kind(v)),
        )),
    }
}

/// A string field (`None` when null or absent).
pub(super) fn string<'a>(
    file: &str,
    path: &str,
    v: Option<&'a Value>,
) -> Result<Option<&'a str>, ImportError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(ImportError::at(
            file,
            path,
            format!("expected a string, found {}", kind(v)),
        )),
    }
}
