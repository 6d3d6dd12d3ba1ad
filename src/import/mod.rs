//! `ratesim import`: the data teams already have (usage reports, GenAI
//! spans, LiteLLM spend logs, the Rate Limits API) turned into a scenario.
//!
//! Each format has its own reader that streams its input into per-stream
//! accumulators ([`Streams`]); [`render`] writes the scenario text (and the
//! trace CSVs a replayed stream needs) from them. Nothing here prints or
//! writes files: the CLI opens the inputs, prints the [`Summary`] and writes
//! what [`Generated`] holds. `../shared/imports.md` in the project notes has
//! the formats; the README section "Bring your own data" has the commands.

pub mod fit;
mod json;
pub mod limits;
pub mod litellm;
pub mod otel;
mod render;
pub mod spend;
mod streams;
pub mod usage;

use std::fmt;

pub use render::{Generated, RenderOptions, render};
pub use streams::{GroupKind, Key, Row, StreamAcc, Streams};

/// An input that cannot be imported: which file, where in it (line and
/// column, a JSON path, or both) and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// The file as the user named it.
    pub file: String,
    /// Position: `line 3, column 7`, `data[2].results[0].output_tokens`, or
    /// empty when the error is about the file as a whole.
    pub at: String,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ImportError {
    /// An error at a position in `file`.
    pub fn at(file: &str, at: impl Into<String>, message: impl Into<String>) -> ImportError {
        ImportError {
            file: file.to_string(),
            at: at.into(),
            message: message.into(),
        }
    }

    /// An error about `file` as a whole.
    pub fn file(file: &str, message: impl Into<String>) -> ImportError {
        ImportError::at(file, "", message)
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        if self.at.is_empty() {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}: {}: {}", self.file, self.at, self.message)
        }
    }
}

/// What an import read, dropped and assumed: printed by the CLI to stderr
/// and copied into the scenario's header comment, so every assumption is
/// stated where the numbers are used.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// What was read: files, rows, time span, models, workspaces.
    pub read: Vec<String>,
    /// What was dropped and why (other providers, error rows, …).
    pub dropped: Vec<String>,
    /// Failed attempts seen in the data (429s, 529s): reported, not replayed.
    pub observed: Vec<String>,
    /// Every assumption the import had to make.
    pub assumptions: Vec<String>,
}

impl Summary {
    /// The summary as plain text, one item a line under four headings
    /// (headings with nothing under them are left out).
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (title, items) in [
            ("read", &self.read),
            ("dropped", &self.dropped),
            ("observed", &self.observed),
            ("assumed", &self.assumptions),
        ] {
            if items.is_empty() {
                continue;
            }
            out.push_str(title);
            out.push_str(":\n");
            for i in items {
                out.push_str("  - ");
                out.push_str(i);
                out.push('\n');
            }
        }
        out
    }
}

/// Counts of things dropped, by reason, in the order first seen (so the
/// summary is deterministic).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally(Vec<(String, u64)>);

impl Tally {
    /// Adds one under `reason`.
    pub fn add(&mut self, reason: impl AsRef<str>) {
        let r = reason.as_ref();
        match self.0.iter_mut().find(|(k, _)| k == r) {
            Some((_, n)) => *n += 1,
            None => self.0.push((r.to_string(), 1)),
        }
    }

    /// `N reason` lines.
    pub fn lines(&self, unit: &str) -> Vec<String> {
        self.0
            .iter()
            .map(|(k, n)| {
                format!(
                    "{} {unit}{}: {k}",
                    group(*n),
                    if *n == 1 { "" } else { "s" }
                )
            })
            .collect()
    }

    /// The count under `reason` (0 if none).
    pub fn get(&self, reason: &str) -> u64 {
        self.0.iter().find(|(k, _)| k == reason).map_or(0, |x| x.1)
    }
}

/// `1234567` as `1,234,567` (the summary and comments are for people).
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Nanoseconds since the Unix epoch as an RFC 3339 UTC time.
pub fn rfc3339(ns: i128) -> String {
    jiff::Timestamp::from_nanosecond(ns).map_or_else(|_| format!("{ns} ns"), |t| t.to_string())
}

/// Parses an RFC 3339 time (with its offset) to nanoseconds since the epoch.
pub fn parse_time(s: &str) -> Result<i128, String> {
    s.trim()
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_nanosecond())
        .map_err(|e| {
            format!("expected an RFC 3339 time such as 2026-11-02T09:15:00Z, found `{s}` ({e})")
        })
}

/// The input-token rule of `imports.md`: instrumentations disagree on
/// whether `input_tokens` includes cache reads and writes. Uncached =
/// input − read − write; a negative result means the value was already the
/// raw uncached count. Returns the uncached count and whether it was
/// subtracted.
pub fn uncached_input(input: u64, read: u64, write: u64) -> (u64, InputRule) {
    match input.checked_sub(read + write) {
        Some(u) if read + write > 0 => (u, InputRule::Total),
        Some(u) => (u, InputRule::NoCache),
        None => (input, InputRule::Raw),
    }
}

/// Which reading of a record's input tokens applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputRule {
    /// No cache tokens: both readings agree.
    NoCache,
    /// Input included cache reads and writes: they were subtracted.
    Total,
    /// Input was smaller than the cache tokens: it was the raw uncached count.
    Raw,
}

/// Counts of records per [`InputRule`], for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleCounts {
    /// Records without cache tokens.
    pub no_cache: u64,
    /// Records whose input included the cache tokens.
    pub total: u64,
    /// Records whose input was already uncached.
    pub raw: u64,
}

impl RuleCounts {
    /// Counts one record.
    pub fn add(&mut self, r: InputRule) {
        match r {
            InputRule::NoCache => self.no_cache += 1,
            InputRule::Total => self.total += 1,
            InputRule::Raw => self.raw += 1,
        }
    }

    /// The assumption line for the summary.
    pub fn assumption(&self, field: &str) -> String {
        format!(
            "input tokens: `{field}` read as the total including cache reads and writes \
             (uncached = input − read − write) for {} records; as the raw uncached count \
             for {} records (input was smaller than its cache tokens); {} records had \
             no cache tokens (both readings agree)",
            group(self.total),
            group(self.raw),
            group(self.no_cache)
        )
    }
}

/// The request-count assumption for a usage report from a sample of
/// per-request data: mean input tokens a request (cache included), per model
/// and overall.
pub fn sample_estimate(sample: &Streams, file: &str) -> Result<usage::Estimate, ImportError> {
    let mut per_model: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    for (k, s) in &sample.map {
        let e = per_model.entry(k.model.to_string()).or_default();
        e.0 += s.total.uncached + s.total.read + s.total.write;
        e.1 += s.total.requests;
    }
    let (tok, req) = per_model
        .values()
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if req == 0 || tok == 0 {
        return Err(ImportError::file(
            file,
            "--sample: no Anthropic requests with input tokens to estimate from",
        ));
    }
    Ok(usage::Estimate {
        mean_input: tok as f64 / req as f64,
        per_model: per_model
            .into_iter()
            .filter(|(_, (t, r))| *r > 0 && *t > 0)
            .map(|(m, (t, r))| (m, t as f64 / r as f64))
            .collect(),
        source: format!("mean of {} sampled requests in {file}", group(req)),
    })
}
