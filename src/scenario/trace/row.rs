//! One trace row: its cells checked (whole numbers, a known model, times in
//! order, one time form per file) and stored.

use serde_json::Value;

use super::cell::{Cells, Pos, TimeKind, Val, found};
use super::time::timestamp;
use super::{Field, name};
use crate::model::catalog::{self, ModelInfo, find_model};
use crate::scenario::{ErrorKind, ScenarioError};
use crate::text::suggest;
use crate::workload::TraceRow;

/// Reads rows one at a time (from [`super::csv`] or [`super::jsonl`]),
/// checking each against the rows before it.
pub(super) struct Builder<'a> {
    pub(super) file: &'a str,
    pub(super) text: &'a str,
    pub(super) rows: Vec<TraceRow>,
    pub(super) models: Vec<&'static ModelInfo>,
    pub(super) classes: Vec<(String, u64, u64)>,
    /// The replaying stream's model (rows without a `model` are sent to it),
    /// when known: reading a trace on its own has no stream.
    pub(super) stream_model: Option<&'static ModelInfo>,
    /// Time of the first row (nanoseconds).
    origin: Option<i128>,
    /// Time and line of the previous row.
    prev: Option<(i128, u64)>,
    kind: Option<TimeKind>,
}

impl<'a> Builder<'a> {
    pub(super) fn new(file: &'a str, text: &'a str) -> Builder<'a> {
        Builder {
            file,
            text,
            rows: Vec::new(),
            models: Vec::new(),
            classes: Vec::new(),
            stream_model: None,
            origin: None,
            prev: None,
            kind: None,
        }
    }

    /// A row's `max_tokens` must not exceed its model's maximum output (the
    /// API would reject the request).
    fn check_max_tokens(
        &self,
        max_tokens: Option<u32>,
        model: &ModelInfo,
        cells: &Cells,
        line: u64,
    ) -> Result<(), ScenarioError> {
        match max_tokens {
            Some(m) if u64::from(m) > model.max_output_tokens => {
                let at = cells[Field::MaxTokens as usize].map_or((line, 1), |c| c.1);
                Err(self.err(
                    at,
                    format!(
                        "max_tokens: {m} is more than `{}` can generate: its maximum output \
                         is {} tokens",
                        model.id, model.max_output_tokens
                    ),
                ))
            }
            _ => Ok(()),
        }
    }

    /// An error at `at` in the trace.
    pub(super) fn err(&self, at: Pos, msg: impl Into<String>) -> ScenarioError {
        ScenarioError::at_position(self.file, self.text, at.0, at.1, ErrorKind::Trace, msg)
    }
    /// Checks and stores one row.
    pub(super) fn row(&mut self, line: u64, cells: &Cells) -> Result<(), ScenarioError> {
        let whole = |f: Field, required: bool| -> Result<Option<u32>, ScenarioError> {
            let Some((v, at)) = cells[f as usize] else {
                return if required {
                    Err(self.err((line, 1), format!("missing `{}`", name(f))))
                } else {
                    Ok(None)
                };
            };
            let n = whole_number(v).map_err(|m| self.err(at, format!("{}: {m}", name(f))))?;
            match n {
                None if required => Err(self.err(
                    at,
                    format!("{}: missing value, expected a whole number", name(f)),
                )),
                None => Ok(None),
                Some(n) => u32::try_from(n).map(Some).map_err(|_| {
                    self.err(
                        at,
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
            let at = cells[Field::MaxTokens as usize].map_or((line, 1), |c| c.1);
            if m == 0 {
                return Err(self.err(at, "max_tokens: must be at least 1"));
            }
            if output_tokens > m {
                let at = cells[Field::Output as usize].map_or((line, 1), |c| c.1);
                return Err(self.err(
                    at,
                    format!(
                        "output_tokens: {output_tokens} is more than this row's \
                         max_tokens ({m})"
                    ),
                ));
            }
        }

        // Time: shifted so the first row is at 0, in order.
        let Some((tv, tat)) = cells[Field::Timestamp as usize] else {
            return Err(self.err((line, 1), "missing `timestamp`"));
        };
        let (ts, kind) = match timestamp(tv) {
            Ok(Some(t)) => t,
            Ok(None) => {
                return Err(self.err(
                    tat,
                    "timestamp: missing value, expected an RFC 3339 time or seconds",
                ));
            }
            Err(m) => return Err(self.err(tat, format!("timestamp: {m}"))),
        };
        if let Some(k) = self.kind
            && k != kind
        {
            let (was, is) = match k {
                TimeKind::Rfc3339 => ("RFC 3339 times", "seconds"),
                TimeKind::Seconds => ("seconds", "an RFC 3339 time"),
            };
            return Err(self.err(
                tat,
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
                tat,
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

        let model =
            match text(cells[Field::Model as usize], "model").map_err(|(at, m)| self.err(at, m))? {
                None => {
                    if let Some(info) = self.stream_model {
                        self.check_max_tokens(max_tokens, info, cells, line)?;
                    }
                    0
                }
                Some((m, at)) => {
                    let Some(info) = find_model(m) else {
                        let ids = catalog::model_ids();
                        return Err(self.err(
                            at,
                            format!(
                                "model: unknown model `{m}`, expected one of {}{}",
                                ids.join(", "),
                                suggest::hint(m, ids.iter().copied())
                            ),
                        ));
                    };
                    self.check_max_tokens(max_tokens, info, cells, line)?;
                    match self.models.iter().position(|x| x.id == info.id) {
                        Some(i) => i as u16 + 1,
                        None => {
                            self.models.push(info);
                            self.models.len() as u16
                        }
                    }
                }
            };
        let class =
            match text(cells[Field::Class as usize], "class").map_err(|(at, m)| self.err(at, m))? {
                None => 0,
                Some((c, at)) => match self.classes.iter().position(|x| x.0 == c) {
                    Some(i) => i as u8 + 1,
                    None if self.classes.len() >= u8::MAX as usize - 1 => {
                        return Err(self.err(at, "class: too many distinct classes"));
                    }
                    None => {
                        self.classes.push((c.to_string(), at.0, at.1));
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
    cell: Option<(Val<'v>, Pos)>,
    what: &str,
) -> Result<Option<(&'v str, Pos)>, (Pos, String)> {
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
