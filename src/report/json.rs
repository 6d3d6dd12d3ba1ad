//! JSON text and values for ratesim's own output types.
//!
//! serde_json fails only on a map whose keys are not strings or on a
//! `Serialize` impl that returns an error. Every type ratesim writes derives
//! `Serialize` over numbers, strings, booleans, sequences and string-keyed
//! maps, so serialising cannot fail; these helpers hold that one invariant
//! in one place instead of an `expect` at every call site.

use std::path::{Path, PathBuf};

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

/// Why a JSON file ratesim wrote earlier (a baseline, a sweep shard) could
/// not be read back.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file cannot be read: missing, a directory, unreadable, not UTF-8.
    #[error("cannot read {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not JSON of the expected shape (another program's file,
    /// another kind of ratesim output, an edit gone wrong). The message is
    /// `path:line:column: what: message`, the position up front as in
    /// scenario errors.
    #[error("{}:{line}:{column}: {what}: {}", .path.display(), message(.source))]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// The kind of file expected, in words (`"not a ratesim baseline"`).
        what: &'static str,
        /// serde_json's error.
        source: serde_json::Error,
    },
}

/// serde_json's message without its trailing " at line L column C" (the
/// position goes up front instead).
fn message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&suffix) {
        Some(m) => m.to_string(),
        None => text,
    }
}

/// Reads back a JSON file ratesim wrote (a baseline, a sweep shard); `what`
/// names the expected kind in errors, which give `path:line:column`.
pub fn read_file<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
) -> Result<T, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| ReadError::Parse {
        path: path.to_path_buf(),
        line: source.line().max(1),
        column: source.column().max(1),
        what,
        source,
    })
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
    fn read_errors_put_the_position_up_front() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.json");
        std::fs::write(&f, "{\n  \"a\": x\n}").unwrap();
        let e = read_file::<Value>(&f, "not a ratesim baseline").unwrap_err();
        assert!(matches!(e, ReadError::Parse { line: 2, .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "{}:2:8: not a ratesim baseline: expected value",
                f.display()
            )
        );
    }

    #[test]
    fn non_finite_numbers_become_null_rather_than_failing() {
        assert_eq!(compact(&[f64::NAN, f64::INFINITY]), "[null,null]");
    }
}
