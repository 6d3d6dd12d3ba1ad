//! JSON Lines traces: one object per line, the usage fields at the top
//! level or nested under `usage` (as in a logged response).

use serde_json::Value;

use super::cell::{Cells, Val};
use super::row::Builder;
use super::{COLUMNS, IGNORED, field};
use crate::scenario::ScenarioError;
use crate::text::suggest;

impl Builder<'_> {
    pub(super) fn jsonl(&mut self) -> Result<(), ScenarioError> {
        for (n, line) in lines(self.text) {
            let obj: serde_json::Map<String, Value> = serde_json::from_str(line).map_err(|e| {
                let msg = e.to_string();
                let msg = msg.split(" at line ").next().unwrap_or_default();
                // serde_json counts bytes; columns count characters.
                let mut end = e.column().saturating_sub(1).min(line.len());
                while !line.is_char_boundary(end) {
                    end -= 1;
                }
                self.err(
                    (n, line[..end].chars().count() as u64 + 1),
                    format!("expected one JSON object per line: {msg}"),
                )
            })?;
            if is_client_retry(&obj) {
                continue;
            }
            let mut cells: Cells = [None; 8];
            for (k, v) in &obj {
                match v {
                    // What `ratesim serve --record` saw of the attempt.
                    Value::Object(_) if k == ATTEMPT => {}
                    Value::Object(u) if k == "usage" => {
                        for (k2, v2) in u {
                            self.known(n, line, k2)?;
                            set(&mut cells, k2, v2, n, line);
                        }
                    }
                    _ => {
                        self.known(n, line, k)?;
                        set(&mut cells, k, v, n, line);
                    }
                }
            }
            self.row(n, &cells)?;
        }
        Ok(())
    }

    /// Rejects a JSON field no trace has.
    fn known(&self, n: u64, line: &str, key: &str) -> Result<(), ScenarioError> {
        match field(key) {
            Some(_) => Ok(()),
            None => Err(self.err(
                (n, column_of(line, key)),
                format!(
                    "unknown field `{key}`, expected one of {} (at the top level or \
                     nested under `usage`; ignored: {}){}",
                    COLUMNS.join(", "),
                    IGNORED.join(", "),
                    suggest::hint(key, COLUMNS.iter().chain(&IGNORED).copied())
                ),
            )),
        }
    }
}

/// The key under which `ratesim serve --record` puts what the server saw
/// of an attempt (status, retry count, ...); the rest of its line is a row.
pub(super) const ATTEMPT: &str = "attempt";

/// A recorded attempt that retried an earlier one (`attempt.retry_count`
/// above 0): the client's retry, not a new request. Replay skips it; the
/// simulated strategy makes its own retries.
fn is_client_retry(obj: &serde_json::Map<String, Value>) -> bool {
    obj.get(ATTEMPT)
        .and_then(|a| a.get("retry_count"))
        .and_then(Value::as_u64)
        .is_some_and(|n| n > 0)
}

/// Non-blank lines with their 1-based numbers.
pub(super) fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    crate::scenario::error::source_lines(text)
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// Stores a JSON field's value in its cell (`null` means not given).
fn set<'v>(cells: &mut Cells<'v>, key: &str, v: &'v Value, n: u64, line: &str) {
    let Some(Some(f)) = field(key) else {
        return;
    };
    let val = match v {
        Value::Null => return,
        Value::String(s) => Val::Text(s),
        other => Val::Json(other),
    };
    cells[f as usize] = Some((val, (n, column_of(line, key))));
}

/// 1-based column of `"key"` in a JSON line (1 if not found).
fn column_of(line: &str, key: &str) -> u64 {
    line.find(&format!("\"{key}\""))
        .map_or(1, |i| line[..i].chars().count() as u64 + 1)
}
