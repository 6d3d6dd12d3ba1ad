//! Records grouped into the streams a scenario will have: one per model
//! (and workspace or team, and Batch API or not), each accumulating what the
//! scenario needs — the rows themselves only when they will be replayed, so
//! a fitted import's memory is bounded by its output, not its input.

use std::collections::BTreeMap;

use super::fit::{LogFit, Values};
use crate::model::catalog::ModelInfo;

/// What a per-workspace/team group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKind {
    /// An API workspace (usage report `workspace_id`): its own limits may apply.
    Workspace,
    /// A LiteLLM team: only a label, the API does not know it.
    Team,
}

/// Which stream a record belongs to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Key {
    /// Catalogue model id.
    pub model: &'static str,
    /// Workspace or team, when the data names one.
    pub group: Option<(GroupKind, String)>,
    /// Sent through the Batch API.
    pub batch: bool,
}

/// One request (or one share of a usage-report bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Nanoseconds since the Unix epoch.
    pub t: i128,
    /// Uncached input tokens.
    pub uncached: u64,
    /// Cache-read input tokens.
    pub read: u64,
    /// Cache-write input tokens.
    pub write: u64,
    /// Output tokens.
    pub output: u64,
    /// `max_tokens` of the request, when recorded.
    pub max_tokens: Option<u64>,
}

/// Requests and tokens in one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Minute {
    /// Requests.
    pub requests: u64,
    /// Uncached input tokens.
    pub uncached: u64,
    /// Cache-read input tokens.
    pub read: u64,
    /// Cache-write input tokens.
    pub write: u64,
    /// Output tokens.
    pub output: u64,
}

/// Everything one stream needs.
#[derive(Debug, Clone)]
pub struct StreamAcc {
    /// The catalogue entry of the stream's model.
    pub model: &'static ModelInfo,
    /// The rows, when kept for replay.
    pub rows: Vec<Row>,
    /// Totals over all records.
    pub total: Minute,
    /// Per minute (minute index since the epoch): the peak minute and the
    /// hourly profile come from here.
    pub minutes: BTreeMap<i64, Minute>,
    /// Uncached input per request (maximum-likelihood lognormal and a histogram).
    pub uncached: LogFit,
    /// Output per request.
    pub output: LogFit,
    /// Requests that read or wrote the cache, and their cached tokens.
    pub cached_requests: u64,
    /// `max_tokens` values seen, with counts.
    pub max_tokens: Values,
    /// Earliest and latest record time.
    pub first: i128,
    /// Latest record time (its start).
    pub last: i128,
}

impl StreamAcc {
    fn new(model: &'static ModelInfo) -> StreamAcc {
        StreamAcc {
            model,
            rows: Vec::new(),
            total: Minute::default(),
            minutes: BTreeMap::new(),
            uncached: LogFit::default(),
            output: LogFit::default(),
            cached_requests: 0,
            max_tokens: Values::default(),
            first: i128::MAX,
            last: i128::MIN,
        }
    }

    /// ITPM-counted input of a minute for this stream's model.
    pub fn itpm_input(&self, m: &Minute) -> u64 {
        m.uncached
            + m.write
            + if self.model.itpm_counts_cache_reads {
                m.read
            } else {
                0
            }
    }

    /// The minute with the most ITPM-counted input (ties: the earliest), if any.
    pub fn peak_minute(&self) -> Option<(i64, Minute)> {
        let mut best: Option<(i64, Minute)> = None;
        for (&k, m) in &self.minutes {
            if best.is_none_or(|(_, b)| self.itpm_input(m) > self.itpm_input(&b)) {
                best = Some((k, *m));
            }
        }
        best
    }
}

/// All streams of an import, in key order (deterministic output).
#[derive(Debug, Clone, Default)]
pub struct Streams {
    /// Keep every row (for `--replay` or bucket traces).
    pub keep_rows: bool,
    /// The streams.
    pub map: BTreeMap<Key, StreamAcc>,
}

const NANOS_PER_MIN: i128 = 60_000_000_000;

impl Streams {
    /// Empty; `keep_rows` decides whether rows are stored.
    pub fn new(keep_rows: bool) -> Streams {
        Streams {
            keep_rows,
            map: BTreeMap::new(),
        }
    }

    /// Adds one request.
    pub fn add(&mut self, key: Key, model: &'static ModelInfo, row: Row) {
        let keep = self.keep_rows;
        let s = self.map.entry(key).or_insert_with(|| StreamAcc::new(model));
        s.total.requests += 1;
        s.total.uncached += row.uncached;
        s.total.read += row.read;
        s.total.write += row.write;
        s.total.output += row.output;
        let m = s
            .minutes
            .entry(row.t.div_euclid(NANOS_PER_MIN) as i64)
            .or_default();
        m.requests += 1;
        m.uncached += row.uncached;
        m.read += row.read;
        m.write += row.write;
        m.output += row.output;
        s.uncached.add(row.uncached);
        s.output.add(row.output);
        if row.read + row.write > 0 {
            s.cached_requests += 1;
        }
        if let Some(mt) = row.max_tokens {
            s.max_tokens.add(mt);
        }
        s.first = s.first.min(row.t);
        s.last = s.last.max(row.t);
        if keep {
            s.rows.push(row);
        }
    }

    /// Earliest and latest record over all streams.
    pub fn span(&self) -> Option<(i128, i128)> {
        let first = self.map.values().map(|s| s.first).min()?;
        let last = self.map.values().map(|s| s.last).max()?;
        Some((first, last))
    }

    /// Total requests over all streams.
    pub fn requests(&self) -> u64 {
        self.map.values().map(|s| s.total.requests).sum()
    }
}
