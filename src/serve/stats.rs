//! What the server has seen, per simulated second, for the live line, the
//! dashboard and `GET /ratesim/stats`.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::Serialize;

use super::record::AttemptRecord;
use crate::model::{Dimension, PoolLimits};

/// Seconds of history kept (and served to the dashboard).
pub const HISTORY_S: usize = 600;
/// Latest attempts kept for the dashboard's table.
pub const RECENT: usize = 50;

/// 429s counted by dimension, in [`Dimension::ALL`] order, serialised as a
/// map from the dimension's name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ByDimension(pub [u64; crate::metrics::DIMENSIONS]);

impl ByDimension {
    /// Total over all dimensions.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

impl Serialize for ByDimension {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(Dimension::ALL.len()))?;
        for d in Dimension::ALL {
            m.serialize_entry(d.name(), &self.0[d.index()])?;
        }
        m.end()
    }
}

/// Counts since the server started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Totals {
    /// Attempts the limiter judged (200, 429 and 529 answers).
    pub attempts: u64,
    /// 200s.
    pub ok: u64,
    /// 429s by the dimension named.
    pub rate_limited: ByDimension,
    /// 529s before the response started.
    pub overloaded: u64,
    /// Streams broken by a mid-stream `overloaded_error` event.
    pub stream_errors: u64,
    /// Requests refused before the limiter (400, 401, 404, 413, ...).
    pub invalid: u64,
}

/// Admitted work of one pool in one second.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PoolSecond {
    /// Requests admitted.
    pub requests: u64,
    /// Tokens charged to ITPM.
    pub input_tokens: u64,
    /// Output tokens of the admitted responses.
    pub output_tokens: u64,
}

/// One simulated second.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Second {
    /// Whole simulated seconds since start.
    pub t: u64,
    /// Per pool, in the scenario's order.
    pub pools: Vec<PoolSecond>,
    /// 429s by dimension.
    pub rate_limited: ByDimension,
    /// 529s (and mid-stream overloads).
    pub overloaded: u64,
    /// Most requests in flight seen during the second.
    pub in_flight: u64,
}

/// The server's counters.
#[derive(Clone, Debug)]
pub struct Stats {
    pools: usize,
    /// Since start.
    pub totals: Totals,
    seconds: VecDeque<Second>,
    /// Shared with `unread`: one allocation per attempt, not a copy of
    /// its strings for each list.
    recent: VecDeque<Arc<AttemptRecord>>,
    unread: Vec<Arc<AttemptRecord>>,
    keep_unread: bool,
}

impl Stats {
    /// Empty counters for `pools` pools; `keep_unread` keeps every attempt
    /// until [`Stats::take_unread`] collects it (for `--record`).
    pub fn new(pools: usize, keep_unread: bool) -> Stats {
        Stats {
            pools,
            totals: Totals::default(),
            seconds: VecDeque::new(),
            recent: VecDeque::new(),
            unread: Vec::new(),
            keep_unread,
        }
    }

    /// The bucket of second `t`, created (with the seconds before it) if new.
    pub fn second(&mut self, t: u64) -> &mut Second {
        let next = self.seconds.back().map_or(t, |s| s.t + 1);
        // Fill gaps so the series has one entry per second, but never more
        // than the history holds.
        let first_new = next.max(t.saturating_sub(HISTORY_S as u64 - 1));
        if self.seconds.back().is_none_or(|s| s.t < t) {
            for s in first_new..=t {
                self.seconds.push_back(Second {
                    t: s,
                    pools: vec![PoolSecond::default(); self.pools],
                    rate_limited: ByDimension::default(),
                    overloaded: 0,
                    in_flight: 0,
                });
            }
            while self.seconds.len() > HISTORY_S {
                self.seconds.pop_front();
            }
        }
        let i = self
            .seconds
            .iter()
            .rposition(|s| s.t <= t)
            .unwrap_or_default();
        &mut self.seconds[i]
    }

    /// Notes a judged attempt; returns the one it pushed out of the
    /// recent list, for the caller to drop after releasing its lock.
    pub fn attempt(&mut self, rec: AttemptRecord) -> Option<Arc<AttemptRecord>> {
        self.totals.attempts += 1;
        let old = if self.recent.len() == RECENT {
            self.recent.pop_front()
        } else {
            None
        };
        let rec = Arc::new(rec);
        if self.keep_unread {
            self.unread.push(Arc::clone(&rec));
        }
        self.recent.push_back(rec);
        old
    }

    /// Attempts noted since the last call (empty unless kept), still
    /// shared with the recent list: see [`unshare`].
    pub fn take_unread(&mut self) -> Vec<Arc<AttemptRecord>> {
        std::mem::take(&mut self.unread)
    }

    /// The last `n` seconds up to and including `now_s`.
    pub fn history(&self, now_s: u64, n: usize) -> Vec<Second> {
        let from = now_s.saturating_sub(n as u64 - 1);
        self.seconds
            .iter()
            .filter(|s| s.t >= from && s.t <= now_s)
            .cloned()
            .collect()
    }

    /// Per pool, what was admitted in the minute up to `now_s`.
    pub fn last_minute(&self, now_s: u64) -> Vec<PoolSecond> {
        let mut out = vec![PoolSecond::default(); self.pools];
        for s in self
            .seconds
            .iter()
            .filter(|s| s.t + 60 > now_s && s.t <= now_s)
        {
            for (o, p) in out.iter_mut().zip(&s.pools) {
                o.requests += p.requests;
                o.input_tokens += p.input_tokens;
                o.output_tokens += p.output_tokens;
            }
        }
        out
    }

    /// The latest attempts, oldest first.
    pub fn recent(&self) -> Vec<AttemptRecord> {
        self.recent
            .iter()
            .map(|r| AttemptRecord::clone(r))
            .collect()
    }
}

/// The records themselves: moved out when no longer shared, else copied
/// (at most the [`RECENT`] latest are).
pub fn unshare(records: Vec<Arc<AttemptRecord>>) -> Vec<AttemptRecord> {
    records
        .into_iter()
        .map(|r| Arc::try_unwrap(r).unwrap_or_else(|r| AttemptRecord::clone(&r)))
        .collect()
}

/// One pool in the stats document.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PoolStats {
    /// Pool name.
    pub name: String,
    /// Its per-minute limits.
    pub limits: PoolLimitsView,
    /// Admitted in the last simulated minute.
    pub last_minute: PoolSecond,
    /// Admitted and not yet finished.
    pub in_flight: u64,
}

/// Limits as the stats document shows them (`null`: unlimited).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PoolLimitsView {
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Input tokens per minute.
    pub itpm: Option<u64>,
    /// Output tokens per minute.
    pub otpm: Option<u64>,
}

impl From<PoolLimits> for PoolLimitsView {
    fn from(l: PoolLimits) -> Self {
        PoolLimitsView {
            rpm: l.rpm,
            itpm: l.itpm,
            otpm: l.otpm,
        }
    }
}

/// `GET /ratesim/stats`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsDoc {
    /// Simulated seconds since start.
    pub now_s: f64,
    /// Wall seconds since start.
    pub wall_s: f64,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Counts since start.
    pub totals: Totals,
    /// Requests in flight over all pools.
    pub in_flight: u64,
    /// Per pool.
    pub pools: Vec<PoolStats>,
    /// The last [`HISTORY_S`] seconds, oldest first.
    pub seconds: Vec<Second>,
    /// The latest attempts, oldest first.
    pub recent: Vec<AttemptRecord>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_fill_gaps_and_minute_sums() {
        let mut s = Stats::new(1, false);
        s.second(0).pools[0].requests += 1;
        s.second(3).pools[0].requests += 2;
        s.second(70).pools[0].requests += 4;
        let h = s.history(70, 600);
        assert_eq!(h.len(), 71);
        assert_eq!(h[3].pools[0].requests, 2);
        // The minute up to 70 s is 11..=70: only the last second's 4.
        assert_eq!(s.last_minute(70)[0].requests, 4);
        assert_eq!(s.last_minute(3)[0].requests, 3);
        // A late attempt lands in its own (older) second.
        s.second(69).pools[0].requests += 1;
        assert_eq!(s.history(70, 2)[0].pools[0].requests, 1);
    }
}
