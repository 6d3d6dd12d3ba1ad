//! JSON text and values for ratesim's own output types.
//!
//! serde_json fails only on a map whose keys are not strings or on a
//! `Serialize` impl that returns an error. Every type ratesim writes derives
//! `Serialize` over numbers, strings, booleans, sequences and string-keyed
//! maps, so serialising cannot fail; these helpers hold that one invariant
//! in one place instead of an `expect` at every call site.

use serde::Serialize;
use serde_json::Value;

/// Pretty-printed JSON with a trailing newline.
pub fn pretty<T: Serialize + ?Sized>(v: &T) -> String {
    #[allow(clippy::expect_used)]
    // Invariant: see the module doc; output types cannot fail to serialise.
    let mut s = serde_json::to_string_pretty(v).expect("ratesim output types serialise");
    s.push('\n');
    s
}

/// Compact JSON on one line.
pub fn compact<T: Serialize + ?Sized>(v: &T) -> String {
    #[allow(clippy::expect_used)]
    // Invariant: see the module doc; output types cannot fail to serialise.
    serde_json::to_string(v).expect("ratesim output types serialise")
}

/// The JSON value tree (for assertions, flattening and merging).
pub fn value<T: Serialize + ?Sized>(v: &T) -> Value {
    #[allow(clippy::expect_used)]
    // Invariant: see the module doc; output types cannot fail to serialise.
    serde_json::to_value(v).expect("ratesim output types serialise")
}

/// Reads back a JSON file ratesim wrote (a baseline, a sweep shard); `what`
/// names the expected kind in errors, which give `path:line:column`.
pub fn read_file<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    what: &str,
) -> Result<T, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| read_error(path, what, &e))
}

/// `path:line:column: what: message` for a JSON file ratesim wrote and now
/// reads back (a baseline, a sweep shard) that does not parse.
fn read_error(path: &std::path::Path, what: &str, e: &serde_json::Error) -> String {
    // serde_json ends its message with " at line L column C": put the
    // position up front instead, as scenario errors do.
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&suffix).unwrap_or(&text);
    format!(
        "{}:{}:{}: {what}: {message}",
        path.display(),
        e.line().max(1),
        e.column().max(1)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn pretty_ends_with_one_newline_and_round_trips() {
        let m: BTreeMap<String, f64> = [("a".to_string(), 0.1), ("b".to_string(), 2.0)].into();
        let s = pretty(&m);
        assert_eq!(s, "{\n  \"a\": 0.1,\n  \"b\": 2.0\n}\n");
        assert_eq!(compact(&m), "{\"a\":0.1,\"b\":2.0}");
        assert_eq!(value(&m), serde_json::json!({"a": 0.1, "b": 2.0}));
    }

    #[test]
    fn non_finite_numbers_become_null_rather_than_failing() {
        assert_eq!(compact(&[f64::NAN, f64::INFINITY]), "[null,null]");
    }
}
