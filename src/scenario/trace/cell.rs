//! A trace cell as read, before it means anything: CSV text or a JSON
//! value, where it starts, and how to quote it in a message. Both the row
//! checks and the time parser read cells, so cells sit below both.

use serde_json::Value;

/// One cell: CSV text, or a JSON value (strings arrive as text).
#[derive(Clone, Copy)]
pub(super) enum Val<'v> {
    Text(&'v str),
    Json(&'v Value),
}

/// 1-based line and column.
pub(super) type Pos = (u64, u64);

/// A row's cells by [`Field`], each with where it starts.
pub(super) type Cells<'v> = [Option<(Val<'v>, Pos)>; 8];

/// How a file writes its times (one form per file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TimeKind {
    Rfc3339,
    Seconds,
}

/// The value as written, for messages.
pub(super) fn found(v: Val) -> String {
    let s = match v {
        Val::Text(s) => format!("\"{s}\""),
        Val::Json(j) => j.to_string(),
    };
    if s.chars().count() > 48 {
        format!("{}…", s.chars().take(47).collect::<String>())
    } else {
        s
    }
}
