//! Usage traces for `trace:` streams: CSV or JSONL in, [`TraceRow`]s out,
//! every bad row reported as `file:line:column` with the column's name.
//!
//! The format, in short (the README has it for users):
//!
//! - Fields are named as in the Messages API `usage` object:
//!   `input_tokens` and `output_tokens` (required), `cache_read_input_tokens`
//!   and `cache_creation_input_tokens` (optional, default 0), plus
//!   `timestamp` (required: RFC 3339 with a time zone, or seconds as a
//!   number; one form per file), `model` (optional: the stream's), `class`
//!   (optional: the stream's) and `max_tokens` (optional: the stream's
//!   `max_tokens`, raised to the row's `output_tokens`).
//! - CSV: a header row naming the columns in any order; JSONL: one object per
//!   line, the usage fields at the top level or nested under `usage` (as in a
//!   logged response). Blank lines are skipped, empty cells and `null` mean
//!   "not given". An unknown column is an error that lists the known ones;
//!   the `usage` fields ratesim does not replay (`cache_creation`,
//!   `server_tool_use`, `service_tier`) are accepted and ignored.
//! - Rows must be in time order (an earlier row after a later one is an
//!   error naming both lines).

use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use super::raw::RawStream;
use super::{Cx, ScenarioError};
use crate::model::ModelSpec;
use crate::model::catalog::{self, ModelInfo, find_model};
use crate::workload::{MAX_VOLUME, Trace, TraceReplay, TraceRow};

/// The fields a trace row may have, in the order errors list them.
pub const COLUMNS: [&str; 8] = [
    "timestamp",
    "model",
    "class",
    "input_tokens",
    "output_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "max_tokens",
];

/// Fields of the Messages API `usage` object that are accepted and ignored.
pub const IGNORED: [&str; 3] = ["cache_creation", "server_tool_use", "service_tier"];

/// Largest `time_scale` accepted.
const MAX_TIME_SCALE: f64 = 1e6;

/// A field, by its index in [`COLUMNS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Timestamp = 0,
    Model = 1,
    Class = 2,
    Input = 3,
    Output = 4,
    CacheRead = 5,
    CacheWrite = 6,
    MaxTokens = 7,
}

const REQUIRED: [Field; 3] = [Field::Timestamp, Field::Input, Field::Output];

/// `Some(Some(field))`, `Some(None)` for an ignored field, `None` if unknown.
fn field(name: &str) -> Option<Option<Field>> {
    use Field::*;
    if IGNORED.contains(&name) {
        return Some(None);
    }
    let f = [
        Timestamp, Model, Class, Input, Output, CacheRead, CacheWrite, MaxTokens,
    ];
    COLUMNS.iter().position(|c| *c == name).map(|i| Some(f[i]))
}

fn name(f: Field) -> &'static str {
    COLUMNS[f as usize]
}

/// A trace read from disk; its models and classes are still trace-local
/// (row value 0 means "the stream's", k means table entry k − 1) until
/// [`resolve`] maps them to the scenario's indices.
pub(super) struct ParsedTrace {
    file: String,
    text: String,
    rows: Vec<TraceRow>,
    models: Vec<&'static ModelInfo>,
    /// Class names with the line and column where each first appears.
    classes: Vec<(String, u64, u64)>,
    time_scale: f64,
    volume: f64,
}

impl ParsedTrace {
    /// Models the rows name (they join the scenario's model list).
    pub(super) fn models(&self) -> impl Iterator<Item = &'static ModelInfo> + '_ {
        self.models.iter().copied()
    }
}

/// Checks a stream's trace-related fields and reads its trace, if any.
pub(super) fn read(cx: &Cx, s: &RawStream) -> Result<Option<ParsedTrace>, ScenarioError> {
    let stream = &s.name.value;
    let Some(t) = &s.trace else {
        if let Some(o) = &s.trace_options {
            return Err(cx.err(
                &o.referenced,
                format!("stream `{stream}`: trace_options needs a `trace:` file to replay"),
            ));
        }
        for (what, v) in [
            ("input_tokens", &s.input_tokens),
            ("output_tokens", &s.output_tokens),
        ] {
            if v.is_none() {
                return Err(cx.err(
                    &s.name.referenced,
                    format!(
                        "stream `{stream}` needs `{what}` (a token count or distribution), \
                         or a `trace:` to replay"
                    ),
                ));
            }
        }
        return Ok(None);
    };
    let conflict = |loc, field: &str, why: &str| {
        Err(cx.err(
            loc,
            format!("stream `{stream}` replays a trace, {why}: remove `{field}`"),
        ))
    };
    let synthetic = "which sets its arrivals (add another stream for synthetic traffic on top)";
    if let Some(a) = &s.arrivals {
        return conflict(&a.referenced, "arrivals", synthetic);
    }
    if let Some(sp) = s.spikes.first() {
        return conflict(&sp.referenced, "spikes", synthetic);
    }
    for (what, v) in [
        ("input_tokens", &s.input_tokens),
        ("output_tokens", &s.output_tokens),
    ] {
        if let Some(v) = v {
            return conflict(&v.referenced, what, "which sets its token counts");
        }
    }
    if let Some(c) = &s.prompt_cache {
        return conflict(
            &c.referenced,
            "prompt_cache",
            "whose cache_read_input_tokens and cache_creation_input_tokens are replayed as recorded",
        );
    }
    let (mut time_scale, mut volume) = (1.0, 1.0);
    if let Some(o) = &s.trace_options {
        if let Some(x) = o.value.time_scale {
            if !(x.is_finite() && x > 0.0 && x <= MAX_TIME_SCALE) {
                return Err(cx.err(
                    &o.referenced,
                    format!(
                        "trace_options.time_scale must be > 0 and at most {MAX_TIME_SCALE} \
                         (2 replays twice as fast), got {x}"
                    ),
                ));
            }
            time_scale = x;
        }
        if let Some(x) = o.value.volume {
            if !(x.is_finite() && x > 0.0 && x <= MAX_VOLUME) {
                return Err(cx.err(
                    &o.referenced,
                    format!(
                        "trace_options.volume must be > 0 and at most {MAX_VOLUME} \
                         (1.5 replays half the rows twice), got {x}"
                    ),
                ));
            }
            volume = x;
        }
    }
    let base = Path::new(cx.file).parent().unwrap_or(Path::new(""));
    let path = base.join(&t.value);
    let file = path.display().to_string();
    let Some(jsonl) = is_jsonl(&path) else {
        return Err(cx.err(
            &t.referenced,
            format!(
                "trace `{}`: expected a .csv or .jsonl file (by its extension)",
                t.value
            ),
        ));
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| cx.err(&t.referenced, format!("cannot read trace `{file}`: {e}")))?;
    let text = super::error::utf8_text(&file, bytes, "trace")?;
    let (rows, models, classes) = parse_rows(&file, &text, jsonl)?;
    Ok(Some(ParsedTrace {
        file,
        text,
        rows,
        models,
        classes,
        time_scale,
        volume,
    }))
}

/// The format by extension: `Some(false)` for CSV, `Some(true)` for JSONL.
fn is_jsonl(path: &Path) -> Option<bool> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(false),
        "jsonl" | "ndjson" => Some(true),
        _ => None,
    }
}

/// Rows, models and classes (trace-local) of trace text.
type Parsed = (
    Vec<TraceRow>,
    Vec<&'static ModelInfo>,
    Vec<(String, u64, u64)>,
);

fn parse_rows(file: &str, text: &str, jsonl: bool) -> Result<Parsed, ScenarioError> {
    let mut b = Builder {
        file,
        text,
        rows: Vec::new(),
        models: Vec::new(),
        classes: Vec::new(),
        origin: None,
        prev: None,
        kind: None,
    };
    if jsonl {
        b.jsonl()?;
    } else {
        b.csv()?;
    }
    if b.rows.is_empty() {
        return Err(ScenarioError::whole_file(
            file,
            "the trace has no rows (a stream that replays it would send nothing)",
        ));
    }
    Ok((b.rows, b.models, b.classes))
}

/// Parses trace text on its own, without a scenario or the file system, so
/// fuzzers and tests can feed it arbitrary input; `file` names it in errors
/// and its extension (`.csv`, `.jsonl` or `.ndjson`) picks the format.
///
/// The rows' `model` and `class` are trace-local (0: the stream's, k: the
/// k-th distinct name in the file), as no scenario maps them yet.
pub fn parse_trace(file: &str, text: &str) -> Result<Trace, ScenarioError> {
    let Some(jsonl) = is_jsonl(Path::new(file)) else {
        return Err(ScenarioError::whole_file(
            file,
            "expected a .csv or .jsonl file (by its extension)",
        ));
    };
    let (rows, _, _) = parse_rows(file, text, jsonl)?;
    Ok(Trace {
        file: file.to_string(),
        rows,
    })
}

/// Maps a trace's models and classes to the scenario's indices.
pub(super) fn resolve(
    t: ParsedTrace,
    stream_model: u16,
    stream_class: u8,
    models: &[ModelSpec],
    classes: &[String],
) -> Result<TraceReplay, ScenarioError> {
    let model_map: Vec<u16> = std::iter::once(stream_model)
        .chain(t.models.iter().map(|m| {
            models
                .iter()
                .position(|s| s.id == m.id)
                .map_or(stream_model, |i| i as u16)
        }))
        .collect();
    let mut class_map = vec![stream_class];
    for (class, line, col) in &t.classes {
        match classes.iter().position(|c| c == class) {
            Some(i) => class_map.push(i as u8),
            None => {
                return Err(ScenarioError::at_position(
                    &t.file,
                    &t.text,
                    *line,
                    *col,
                    format!(
                        "class: `{class}` is not a class of this scenario ({}); \
                         list it under `classes` or give a stream that class",
                        classes.join(", ")
                    ),
                ));
            }
        }
    }
    let mut rows = t.rows;
    for r in &mut rows {
        r.model = model_map[r.model as usize];
        r.class = class_map[r.class as usize];
    }
    Ok(TraceReplay {
        trace: Arc::new(Trace { file: t.file, rows }),
        time_scale: t.time_scale,
        volume: t.volume,
    })
}

/// One cell: CSV text, or a JSON value (strings arrive as text).
#[derive(Clone, Copy)]
enum Val<'v> {
    Text(&'v str),
    Json(&'v Value),
}

type Cells<'v> = [Option<(Val<'v>, u64)>; 8];

/// How a file writes its times (one form per file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TimeKind {
    Rfc3339,
    Seconds,
}

struct Builder<'a> {
    file: &'a str,
    text: &'a str,
    rows: Vec<TraceRow>,
    models: Vec<&'static ModelInfo>,
    classes: Vec<(String, u64, u64)>,
    /// Time of the first row (nanoseconds).
    origin: Option<i128>,
    /// Time and line of the previous row.
    prev: Option<(i128, u64)>,
    kind: Option<TimeKind>,
}

impl Builder<'_> {
    fn err(&self, line: u64, col: u64, msg: impl Into<String>) -> ScenarioError {
        ScenarioError::at_position(self.file, self.text, line, col, msg)
    }

    fn csv(&mut self) -> Result<(), ScenarioError> {
        let mut lines = lines(self.text);
        let Some((hline, header)) = lines.next() else {
            return Err(ScenarioError::whole_file(
                self.file,
                format!(
                    "the trace is empty: expected a header row naming its columns ({})",
                    COLUMNS.join(", ")
                ),
            ));
        };
        let header = header.strip_prefix('\u{feff}').unwrap_or(header);
        let names = split_csv(header).map_err(|(c, m)| self.err(hline, c, m))?;
        let mut map: Vec<Option<Field>> = Vec::with_capacity(names.len());
        let mut seen = [false; 8];
        for (n, col) in &names {
            match field(n) {
                None => {
                    return Err(self.err(
                        hline,
                        *col,
                        format!(
                            "unknown column `{n}`, expected one of {} (ignored: {})",
                            COLUMNS.join(", "),
                            IGNORED.join(", ")
                        ),
                    ));
                }
                Some(Some(f)) if seen[f as usize] => {
                    return Err(self.err(hline, *col, format!("column `{n}` appears twice")));
                }
                Some(f) => {
                    if let Some(f) = f {
                        seen[f as usize] = true;
                    }
                    map.push(f);
                }
            }
        }
        if let Some(f) = REQUIRED.iter().find(|f| !seen[**f as usize]) {
            return Err(self.err(
                hline,
                1,
                format!(
                    "missing column `{}`: a trace needs timestamp, input_tokens and \
                     output_tokens (the header names {})",
                    name(*f),
                    names
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        for (n, line) in lines {
            let fields = split_csv(line).map_err(|(c, m)| self.err(n, c, m))?;
            if fields.len() != names.len() {
                let col = fields.last().map_or(1, |f| f.1);
                return Err(self.err(
                    n,
                    col,
                    format!(
                        "expected {} fields, as in the header, found {}",
                        names.len(),
                        fields.len()
                    ),
                ));
            }
            let mut cells: Cells = [None; 8];
            for ((v, col), f) in fields.iter().zip(&map) {
                if let Some(f) = f {
                    cells[*f as usize] = Some((Val::Text(v), *col));
                }
            }
            self.row(n, &cells)?;
        }
        Ok(())
    }

    fn jsonl(&mut self) -> Result<(), ScenarioError> {
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
                    n,
                    line[..end].chars().count() as u64 + 1,
                    format!("expected one JSON object per line: {msg}"),
                )
            })?;
            let mut cells: Cells = [None; 8];
            for (k, v) in &obj {
                match v {
                    Value::Object(u) if k == "usage" => {
                        for (k2, v2) in u {
                            self.known(n, line, k2)?;
                            set(&mut cells, k2, v2, line);
                        }
                    }
                    _ => {
                        self.known(n, line, k)?;
                        set(&mut cells, k, v, line);
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
                n,
                column_of(line, key),
                format!(
                    "unknown field `{key}`, expected one of {} (at the top level or \
                     nested under `usage`; ignored: {})",
                    COLUMNS.join(", "),
                    IGNORED.join(", ")
                ),
            )),
        }
    }

    /// Checks and stores one row.
    fn row(&mut self, line: u64, cells: &Cells) -> Result<(), ScenarioError> {
        let whole = |f: Field, required: bool| -> Result<Option<u32>, ScenarioError> {
            let Some((v, col)) = cells[f as usize] else {
                return if required {
                    Err(self.err(line, 1, format!("missing `{}`", name(f))))
                } else {
                    Ok(None)
                };
            };
            let n =
                whole_number(v).map_err(|m| self.err(line, col, format!("{}: {m}", name(f))))?;
            match n {
                None if required => Err(self.err(
                    line,
                    col,
                    format!("{}: missing value, expected a whole number", name(f)),
                )),
                None => Ok(None),
                Some(n) => u32::try_from(n).map(Some).map_err(|_| {
                    self.err(
                        line,
                        col,
                        format!("{}: {n} is too large (at most {})", name(f), u32::MAX),
                    )
                }),
            }
        };
        let input_tokens = whole(Field::Input, true)?.unwrap_or(0);
        let output_tokens = whole(Field::Output, true)?.unwrap_or(0);
        let cache_read_tokens = whole(Field::CacheRead, false)?.unwrap_or(0);
        let cache_write_tokens = whole(Field::CacheWrite, false)?.unwrap_or(0);
        let max_tokens = whole(Field::MaxTokens, false)?;
        if let Some(m) = max_tokens {
            let col = cells[Field::MaxTokens as usize].map_or(1, |c| c.1);
            if m == 0 {
                return Err(self.err(line, col, "max_tokens: must be at least 1"));
            }
            if output_tokens > m {
                let col = cells[Field::Output as usize].map_or(1, |c| c.1);
                return Err(self.err(
                    line,
                    col,
                    format!(
                        "output_tokens: {output_tokens} is more than this row's \
                         max_tokens ({m})"
                    ),
                ));
            }
        }

        // Time: shifted so the first row is at 0, in order.
        let Some((tv, tcol)) = cells[Field::Timestamp as usize] else {
            return Err(self.err(line, 1, "missing `timestamp`"));
        };
        let (ts, kind) = match timestamp(tv) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(self.err(
                    line,
                    tcol,
                    "timestamp: missing value, expected an RFC 3339 time or seconds",
                ));
            }
            Err(m) => return Err(self.err(line, tcol, format!("timestamp: {m}"))),
        };
        if let Some(k) = self.kind
            && k != kind
        {
            let (was, is) = match k {
                TimeKind::Rfc3339 => ("RFC 3339 times", "seconds"),
                TimeKind::Seconds => ("seconds", "an RFC 3339 time"),
            };
            return Err(self.err(
                line,
                tcol,
                format!(
                    "timestamp: {} is {is}, but the rows before it give {was}; \
                     use one form for the whole trace",
                    found(tv)
                ),
            ));
        }
        self.kind = Some(kind);
        if let Some((p, pline)) = self.prev
            && ts < p
        {
            return Err(self.err(
                line,
                tcol,
                format!(
                    "timestamp: {} is earlier than the row on line {pline}; rows must be \
                     in time order (sort the trace by timestamp)",
                    found(tv)
                ),
            ));
        }
        self.prev = Some((ts, line));
        let origin = *self.origin.get_or_insert(ts);
        let at = u64::try_from(ts - origin).unwrap_or(u64::MAX);

        let model = match text(cells[Field::Model as usize], "model")
            .map_err(|(c, m)| self.err(line, c, m))?
        {
            None => 0,
            Some((m, col)) => {
                let Some(info) = find_model(m) else {
                    return Err(self.err(
                        line,
                        col,
                        format!(
                            "model: unknown model `{m}`, expected one of {}",
                            catalog::model_ids().join(", ")
                        ),
                    ));
                };
                match self.models.iter().position(|x| x.id == info.id) {
                    Some(i) => i as u16 + 1,
                    None => {
                        self.models.push(info);
                        self.models.len() as u16
                    }
                }
            }
        };
        let class = match text(cells[Field::Class as usize], "class")
            .map_err(|(c, m)| self.err(line, c, m))?
        {
            None => 0,
            Some((c, col)) => match self.classes.iter().position(|x| x.0 == c) {
                Some(i) => i as u8 + 1,
                None if self.classes.len() >= u8::MAX as usize - 1 => {
                    return Err(self.err(line, col, "class: too many distinct classes"));
                }
                None => {
                    self.classes.push((c.to_string(), line, col));
                    self.classes.len() as u8
                }
            },
        };
        self.rows.push(TraceRow {
            at,
            input_tokens,
            output_tokens,
            cache_read_tokens,
            cache_write_tokens,
            max_tokens: max_tokens.unwrap_or(0),
            model,
            class,
        });
        Ok(())
    }
}

/// Non-blank lines with their 1-based numbers.
fn lines(text: &str) -> impl Iterator<Item = (u64, &str)> {
    super::error::source_lines(text)
        .enumerate()
        .map(|(i, l)| (i as u64 + 1, l))
        .filter(|(_, l)| !l.trim().is_empty())
}

/// Stores a JSON field's value in its cell (`null` means not given).
fn set<'v>(cells: &mut Cells<'v>, key: &str, v: &'v Value, line: &str) {
    let Some(Some(f)) = field(key) else {
        return;
    };
    let val = match v {
        Value::Null => return,
        Value::String(s) => Val::Text(s),
        other => Val::Json(other),
    };
    cells[f as usize] = Some((val, column_of(line, key)));
}

/// 1-based column of `"key"` in a JSON line (1 if not found).
fn column_of(line: &str, key: &str) -> u64 {
    line.find(&format!("\"{key}\""))
        .map_or(1, |i| line[..i].chars().count() as u64 + 1)
}

/// The value as written, for messages.
fn found(v: Val) -> String {
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

/// A token count: `Ok(None)` when empty.
fn whole_number(v: Val) -> Result<Option<u64>, String> {
    let bad = || format!("expected a whole number, found {}", found(v));
    match v {
        Val::Text(s) => {
            let t = s.trim();
            if t.is_empty() {
                Ok(None)
            } else if t.bytes().all(|b| b.is_ascii_digit()) {
                t.parse::<u64>()
                    .map(Some)
                    .map_err(|_| format!("{t} is too large"))
            } else {
                Err(bad())
            }
        }
        Val::Json(Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
            (Some(u), _) => Ok(Some(u)),
            (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1.8e19 => Ok(Some(f as u64)),
            _ => Err(bad()),
        },
        Val::Json(_) => Err(bad()),
    }
}

/// A model or class name: `Ok(None)` when empty.
fn text<'v>(
    cell: Option<(Val<'v>, u64)>,
    what: &str,
) -> Result<Option<(&'v str, u64)>, (u64, String)> {
    match cell {
        None => Ok(None),
        Some((Val::Text(s), col)) => {
            let t = s.trim();
            Ok((!t.is_empty()).then_some((t, col)))
        }
        Some((v @ Val::Json(_), col)) => Err((
            col,
            format!("{what}: expected a string, found {}", found(v)),
        )),
    }
}

/// A time in nanoseconds since the Unix epoch (or since zero, for seconds
/// that are not epoch seconds: only differences matter).
fn timestamp(v: Val) -> Result<Option<(i128, TimeKind)>, String> {
    let hint = "expected an RFC 3339 time such as 2026-11-02T09:15:03.250Z, or seconds as a number";
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
                .map_err(|why| format!("{hint}, found {}{why}", found(v)))
        }
        Val::Json(Value::Number(n)) => {
            if let Some(i) = n.as_i64() {
                Ok(Some((i as i128 * 1_000_000_000, TimeKind::Seconds)))
            } else {
                match n.as_f64() {
                    Some(f) if f.is_finite() && f.abs() < 1e15 => {
                        Ok(Some(((f * 1e9).round() as i128, TimeKind::Seconds)))
                    }
                    _ => Err(format!("{hint}, found {}", found(v))),
                }
            }
        }
        Val::Json(_) => Err(format!("{hint}, found {}", found(v))),
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

/// RFC 3339 (`2026-11-02T09:15:03.250Z`, `…+01:00`; `t` or a space may
/// replace `T`): nanoseconds since the Unix epoch, or a hint of what is wrong.
fn rfc3339(s: &str) -> Result<i128, &'static str> {
    let b = s.as_bytes();
    let num = |from: usize, to: usize| -> Option<i64> {
        let d = b.get(from..to)?;
        d.iter()
            .all(u8::is_ascii_digit)
            .then(|| d.iter().fold(0i64, |a, x| a * 10 + (x - b'0') as i64))
    };
    let is = |i: usize, set: &[u8]| b.get(i).is_some_and(|x| set.contains(x));
    let (Some(y), true, Some(mo), true, Some(d)) =
        (num(0, 4), is(4, b"-"), num(5, 7), is(7, b"-"), num(8, 10))
    else {
        return Err("");
    };
    if b.len() == 10 {
        return Err(" (a date without a time)");
    }
    let (true, Some(h), true, Some(mi), true, Some(sec)) = (
        is(10, b"Tt "),
        num(11, 13),
        is(13, b":"),
        num(14, 16),
        is(16, b":"),
        num(17, 19),
    ) else {
        return Err("");
    };
    let mut i = 19;
    let mut nanos: i64 = 0;
    if is(i, b".") {
        i += 1;
        let start = i;
        while is(i, b"0123456789") {
            i += 1;
        }
        if i == start {
            return Err("");
        }
        for k in 0..9 {
            let digit = if start + k < i {
                (b[start + k] - b'0') as i64
            } else {
                0
            };
            nanos = nanos * 10 + digit;
        }
    }
    let offset_s = match b.get(i) {
        None => return Err(" (no time zone: end it with Z or an offset such as +01:00)"),
        Some(b'Z' | b'z') => {
            i += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            let (Some(oh), true, Some(om)) =
                (num(i + 1, i + 3), is(i + 3, b":"), num(i + 4, i + 6))
            else {
                return Err(" (the offset must look like +01:00)");
            };
            if oh > 23 || om > 59 {
                return Err(" (offset out of range)");
            }
            i += 6;
            let o = oh * 3600 + om * 60;
            if *sign == b'-' { -o } else { o }
        }
        Some(_) => return Err(""),
    };
    if i != b.len() {
        return Err("");
    }
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60
    {
        return Err(" (a field is out of range)");
    }
    let secs = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset_s;
    Ok(secs as i128 * 1_000_000_000 + nanos as i128)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Splits one CSV line (RFC 4180 quoting, `""` inside quotes) into trimmed
/// fields with the 1-based column where each starts.
fn split_csv(line: &str) -> Result<Vec<(String, u64)>, (u64, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && matches!(chars[i], ' ' | '\t') {
            i += 1;
        }
        let start = i as u64 + 1;
        let mut value = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err((start, "unterminated quoted field".to_string())),
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        value.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
            while i < chars.len() && matches!(chars[i], ' ' | '\t') {
                i += 1;
            }
            if i < chars.len() && chars[i] != ',' {
                return Err((
                    i as u64 + 1,
                    "expected a comma after the closing quote".to_string(),
                ));
            }
        } else {
            while i < chars.len() && chars[i] != ',' {
                value.push(chars[i]);
                i += 1;
            }
            value.truncate(value.trim_end().len());
        }
        out.push((value, start));
        if i < chars.len() {
            i += 1; // the comma
        } else {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_matches_known_epochs() {
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Ok(0));
        // date -u -d 2026-11-02T09:15:03Z +%s
        assert_eq!(
            rfc3339("2026-11-02T09:15:03.250Z"),
            Ok(1_793_610_903_250_000_000)
        );
        assert_eq!(
            rfc3339("2026-11-02T10:15:03.25+01:00"),
            rfc3339("2026-11-02T09:15:03.250Z")
        );
        assert_eq!(
            rfc3339("2024-02-29 23:59:59-00:30"),
            rfc3339("2024-03-01t00:29:59z")
        );
        assert!(
            rfc3339("2026-11-02T09:15:03")
                .unwrap_err()
                .contains("time zone")
        );
        assert!(rfc3339("2026-02-30T00:00:00Z").is_err());
        assert!(rfc3339("2026-11-02").is_err());
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

    #[test]
    fn csv_quotes_and_columns() {
        assert_eq!(
            split_csv(r#"a, "b,""c""" ,d"#).unwrap(),
            vec![
                ("a".to_string(), 1),
                ("b,\"c\"".to_string(), 4),
                ("d".to_string(), 15)
            ]
        );
        assert_eq!(split_csv("a,,").unwrap().len(), 3);
        assert!(split_csv("\"open").is_err());
    }
}
