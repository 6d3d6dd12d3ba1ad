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
//! - CSV: a header row naming the columns in any order (names match
//!   ignoring case and surrounding spaces), read with the `csv` crate (RFC
//!   4180 quoting, newlines inside quoted fields). The delimiter is a comma,
//!   or a semicolon or a tab when the header has no comma (spreadsheets in
//!   many locales save "CSV" with semicolons). Rows whose cells are all empty
//!   (`,,,,`, what a spreadsheet leaves after the data) are skipped. JSONL:
//!   one object per line, the usage fields at the top level or nested under `usage` (as in a
//!   logged response). Blank lines are skipped, empty cells and `null` mean
//!   "not given". An unknown column is an error that lists the known ones;
//!   the `usage` fields ratesim does not replay (`cache_creation`,
//!   `server_tool_use`, `service_tier`) are accepted and ignored.
//! - A JSONL line may carry an `attempt` object, as `ratesim serve --record`
//!   writes: it is ignored, and a line whose `attempt.retry_count` is above
//!   0 is skipped (a client's retry of an earlier row, not a new request).
//! - Rows must be in time order (an earlier row after a later one is an
//!   error naming both lines).

mod cell;
mod csv;
mod jsonl;
mod row;
mod time;

use std::path::Path;
use std::sync::Arc;

use super::raw::RawStream;
use super::{Cx, ErrorKind, ScenarioError, Warning};
use crate::engine::SimTime;
use crate::model::ModelSpec;
use crate::model::catalog::{ModelInfo, find_model};
use crate::text::suggest;
use crate::workload::{MAX_VOLUME, REQUESTS_RANGE, Trace, TraceReplay, TraceRow};
use row::Builder;

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
/// CSV headers are matched ignoring ASCII case (see [`csv`]); JSON keys are
/// case-sensitive, as in the API.
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
    requests: f64,
    requests_range: Option<[f64; 2]>,
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
    let (mut time_scale, mut volume, mut requests, mut requests_range) = (1.0, 1.0, 1.0, None);
    if let Some(o) = &s.trace_options {
        let (lo, hi) = REQUESTS_RANGE;
        let ok = |x: f64| x.is_finite() && (lo..=hi).contains(&x);
        if let Some(x) = o.value.requests {
            if !ok(x) {
                return Err(cx.err(
                    &o.referenced,
                    format!(
                        "trace_options.requests must be between {lo} and {hi} \
                         (requests per recorded row, tokens unchanged: 0.5 merges pairs of rows), got {x}"
                    ),
                ));
            }
            requests = x;
        }
        if let Some([a, b]) = o.value.requests_range {
            if !(ok(a) && ok(b) && a <= requests && requests <= b && a < b) {
                return Err(cx.err(
                    &o.referenced,
                    format!(
                        "trace_options.requests_range must be [low, high] with \
                         {lo} ≤ low ≤ requests ({requests}) ≤ high ≤ {hi} and low < high, got [{a}, {b}]"
                    ),
                ));
            }
            requests_range = Some([a, b]);
        }
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
    let stream_model = find_model(&s.model.value);
    let (rows, models, classes) = parse_rows(&file, &text, jsonl, stream_model)?;
    Ok(Some(ParsedTrace {
        file,
        text,
        rows,
        models,
        classes,
        time_scale,
        volume,
        requests,
        requests_range,
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

fn parse_rows(
    file: &str,
    text: &str,
    jsonl: bool,
    stream_model: Option<&'static ModelInfo>,
) -> Result<Parsed, ScenarioError> {
    let mut b = Builder::new(file, text);
    b.stream_model = stream_model;
    if jsonl {
        b.jsonl()?;
    } else {
        b.csv()?;
    }
    if b.rows.is_empty() {
        return Err(ScenarioError::whole_file(
            file,
            ErrorKind::Trace,
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
            ErrorKind::Trace,
            "expected a .csv or .jsonl file (by its extension)",
        ));
    };
    let (rows, _, _) = parse_rows(file, text, jsonl, None)?;
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
                    ErrorKind::UnknownName {
                        name: class.clone(),
                        did_you_mean: suggest::did_you_mean(
                            class,
                            classes.iter().map(String::as_str),
                        )
                        .into_iter()
                        .map(str::to_string)
                        .collect(),
                    },
                    format!(
                        "class: `{class}` is not a class of this scenario ({}); \
                         list it under `classes` or give a stream that class{}",
                        classes.join(", "),
                        suggest::hint(class, classes.iter().map(String::as_str))
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
        requests: t.requests,
        requests_range: t.requests_range,
    })
}

/// A warning when some of a replayed trace's rows fall after the arrival
/// window (`horizon`): they are never sent.
pub(super) fn rows_after(r: &TraceReplay, horizon: SimTime, stream: &str) -> Option<Warning> {
    // Simulated time of a row, as the replay scales it.
    let scale = |at: u64| {
        if r.time_scale == 1.0 {
            at
        } else {
            (at as f64 / r.time_scale).round() as u64
        }
    };
    let (mut rows, mut late) = (0, 0);
    for row in r.rows() {
        rows += 1;
        late += usize::from(scale(row.at) >= horizon.as_nanos());
    }
    if late == 0 {
        return None;
    }
    let span = r.span().as_nanos();
    Some(Warning::whole_file(
        &r.trace.file,
        format!(
            "{late} of the trace's {} rows fall after the simulated window of stream \
             `{stream}` (duration {}, the trace spans {}) and are not replayed; \
             lengthen `duration` or raise `trace_options.time_scale`",
            rows,
            super::build::show(horizon),
            super::build::show(SimTime(span)),
        ),
    ))
}
