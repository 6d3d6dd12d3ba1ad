//! Replaying a usage trace: recorded requests instead of drawn ones.
//!
//! A trace is read once, at load time, into a compact row per request
//! ([`TraceRow`], 32 bytes) shared by every run through an [`Arc`]. Replay
//! walks the rows in order and produces [`LogicalRequest`]s one at a time;
//! it keeps no per-request state beyond a cursor.
//!
//! - **Time.** Row times are relative to the first row (which is at t = 0)
//!   and divided by `time_scale`: 2.0 replays the trace twice as fast (every
//!   gap halved), 0.5 at half speed. Requests at or after the scenario's
//!   `duration` are dropped.
//! - **Volume.** Each row is replayed `floor(volume)` times, and
//!   `round(frac(volume) × rows)` rows, picked from the stream's seeded
//!   arrival stream (selection sampling: exactly that many, every row equally
//!   likely), once more. So `volume: 1.5` on 400 rows gives exactly 600
//!   requests and `volume: 0.25` exactly 100 (before the `duration` cut).
//!   The first replay of a row is at its recorded time; extra copies land at
//!   seeded random points between that row and the next one (at most
//!   [`SPREAD_CAP`] later, in trace time), so bursts stay bursts and the
//!   replay stays in time order.

use std::fmt;
use std::sync::Arc;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::dist::TokenSampler;
use super::request::LogicalRequest;
use crate::engine::SimTime;

/// Largest gap over which a row's extra copies are spread (trace time).
pub const SPREAD_CAP: SimTime = SimTime(60 * SimTime::NANOS_PER_SEC);

/// Most copies of each row a trace may ask for (`volume` at most this).
pub const MAX_VOLUME: f64 = 1000.0;

/// One recorded request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceRow {
    /// Trace time since the first row, in nanoseconds (before `time_scale`).
    pub at: u64,
    /// Uncached input tokens (`input_tokens`).
    pub input_tokens: u32,
    /// Output tokens generated (`output_tokens`).
    pub output_tokens: u32,
    /// Replayed as a fixed cache read (`cache_read_input_tokens`).
    pub cache_read_tokens: u32,
    /// Replayed as a fixed cache write (`cache_creation_input_tokens`).
    pub cache_write_tokens: u32,
    /// The request's `max_tokens`; 0 when the trace does not record it (the
    /// stream's `max_tokens` is drawn instead, raised to `output_tokens`).
    pub max_tokens: u32,
    /// Model index (into the provider's model list).
    pub model: u16,
    /// Priority class index.
    pub class: u8,
}

/// The rows of one trace file.
#[derive(Clone, PartialEq, Eq)]
pub struct Trace {
    /// The file, as named in errors.
    pub file: String,
    /// Rows in time order; the first is at 0.
    pub rows: Vec<TraceRow>,
}

impl fmt::Debug for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Trace")
            .field("file", &self.file)
            .field("rows", &self.rows.len())
            .finish()
    }
}

/// A stream's trace and how to replay it.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceReplay {
    /// The rows (shared by every run and clone).
    pub trace: Arc<Trace>,
    /// Speed-up: simulated time = trace time / `time_scale` (2.0: twice as
    /// fast). Must be > 0.
    pub time_scale: f64,
    /// Requests per recorded request (1.5: half the rows twice). Must be in
    /// (0, [`MAX_VOLUME`]]; capacity plans multiply it by the growth.
    pub volume: f64,
}

impl TraceReplay {
    /// How many requests a replay of the whole trace produces (before the
    /// `duration` cut): exact, whatever the seed.
    pub fn requests(&self) -> u64 {
        let (whole, extra) = self.split(self.trace.rows.len() as u64);
        whole as u64 * self.trace.rows.len() as u64 + extra
    }

    /// Simulated time of the last row's first replay.
    pub fn span(&self) -> SimTime {
        self.scale(self.trace.rows.last().map_or(0, |r| r.at))
    }

    /// Copies of every row, and how many rows get one more.
    fn split(&self, rows: u64) -> (u32, u64) {
        let v = self.volume.clamp(0.0, MAX_VOLUME);
        let whole = v.floor();
        let extra = ((v - whole) * rows as f64).round() as u64;
        (whole as u32, extra.min(rows))
    }

    fn scale(&self, at: u64) -> SimTime {
        if self.time_scale == 1.0 {
            SimTime(at)
        } else {
            SimTime((at as f64 / self.time_scale).round() as u64)
        }
    }
}

/// Walks a trace in arrival order.
#[derive(Clone, Debug)]
pub(super) struct TraceCursor {
    replay: TraceReplay,
    horizon: SimTime,
    /// Copies every row gets.
    whole: u32,
    /// Rows still to be picked for one more copy.
    extra_left: u64,
    /// Rows not yet considered for picking.
    rows_left: u64,
    /// The row being replayed, and the next row to consider.
    row: usize,
    next_row: usize,
    /// Copies of `row` in all, and how many were produced.
    copies: u32,
    copy: u32,
    /// The next request: its time and row.
    next: Option<(SimTime, usize)>,
}

impl TraceCursor {
    /// A cursor at the start of the trace; `rng` is the stream's arrival
    /// stream (it picks rows for fractional volume and places copies).
    pub(super) fn new(replay: TraceReplay, horizon: SimTime, rng: &mut ChaCha8Rng) -> TraceCursor {
        let rows = replay.trace.rows.len() as u64;
        let (whole, extra_left) = replay.split(rows);
        let mut c = TraceCursor {
            replay,
            horizon,
            whole,
            extra_left,
            rows_left: rows,
            row: 0,
            next_row: 0,
            copies: 0,
            copy: 0,
            next: None,
        };
        c.advance(rng);
        c
    }

    /// Time of the next request, if any.
    pub(super) fn peek(&self) -> Option<SimTime> {
        self.next.map(|(t, _)| t)
    }

    /// The next request, for stream `index` with the stream's `deadline`
    /// (after arrival) and `workspace`.
    pub(super) fn next_request(
        &mut self,
        index: u16,
        deadline: Option<SimTime>,
        workspace: Option<u16>,
        max_tokens: &TokenSampler,
        arrival_rng: &mut ChaCha8Rng,
        size_rng: &mut ChaCha8Rng,
    ) -> Option<LogicalRequest> {
        let (arrival, i) = self.next?;
        let row = self.replay.trace.rows[i];
        self.advance(arrival_rng);
        let output_tokens = row.output_tokens as u64;
        let max_tokens = match row.max_tokens {
            0 => max_tokens.sample(size_rng).max(output_tokens).max(1),
            m => m as u64,
        };
        Some(LogicalRequest {
            stream: index,
            class: row.class,
            model: row.model,
            arrival,
            input_tokens: row.input_tokens as u64,
            cache_read_tokens: row.cache_read_tokens as u64,
            cache_write_tokens: row.cache_write_tokens as u64,
            prefix: None,
            max_tokens,
            output_tokens,
            // The trace records what the API returned: a row that generated
            // exactly its recorded `max_tokens` stopped there. A row without
            // one cannot tell (its `max_tokens` is drawn and raised to fit).
            truncated: row.max_tokens != 0 && output_tokens == row.max_tokens as u64,
            deadline: deadline.map(|d| arrival + d),
            workspace,
        })
    }

    /// Moves to the next request (times never decrease).
    fn advance(&mut self, rng: &mut ChaCha8Rng) {
        let n = self.replay.trace.rows.len();
        loop {
            if self.copy < self.copies {
                let t = self.copy_time(rng);
                self.copy += 1;
                let at = self.replay.scale(t);
                if at >= self.horizon {
                    // Everything after is later still.
                    self.next = None;
                    self.copies = 0;
                    self.copy = 0;
                    self.next_row = n;
                    return;
                }
                self.next = Some((at, self.row));
                return;
            }
            if self.next_row >= n {
                self.next = None;
                return;
            }
            self.row = self.next_row;
            self.next_row += 1;
            // Selection sampling: pick `extra_left` of the `rows_left` rows.
            let pick = self.extra_left > 0 && rng.random_range(0..self.rows_left) < self.extra_left;
            self.extra_left -= pick as u64;
            self.rows_left -= 1;
            self.copies = self.whole + pick as u32;
            self.copy = 0;
        }
    }

    /// Trace time of copy `self.copy` of `self.row`: the row's own time for
    /// the first, then stratified random points before the next row.
    fn copy_time(&self, rng: &mut ChaCha8Rng) -> u64 {
        let rows = &self.replay.trace.rows;
        let at = rows[self.row].at;
        if self.copy == 0 {
            return at;
        }
        let gap = match (rows.get(self.row + 1), self.row.checked_sub(1)) {
            (Some(next), _) => next.at - at,
            (None, Some(prev)) => at - rows[prev].at,
            (None, None) => 0,
        }
        .min(SPREAD_CAP.as_nanos());
        let extras = (self.copies - 1) as f64;
        let u: f64 = rng.random();
        let offset = (gap as f64 * ((self.copy - 1) as f64 + u) / extras) as u64;
        at + offset.min(gap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn replay(times_s: &[u64], time_scale: f64, volume: f64) -> TraceReplay {
        let rows = times_s
            .iter()
            .map(|s| TraceRow {
                at: s * SimTime::NANOS_PER_SEC,
                input_tokens: 10,
                output_tokens: 5,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                max_tokens: 0,
                model: 0,
                class: 0,
            })
            .collect();
        TraceReplay {
            trace: Arc::new(Trace {
                file: "t.csv".into(),
                rows,
            }),
            time_scale,
            volume,
        }
    }

    fn times(r: TraceReplay, horizon: SimTime) -> Vec<SimTime> {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut c = TraceCursor::new(r, horizon, &mut rng);
        let mut out = Vec::new();
        while let Some(t) = c.peek() {
            out.push(t);
            c.advance(&mut rng);
        }
        out
    }

    #[test]
    fn volume_gives_exact_counts_in_time_order() {
        let ts: Vec<u64> = (0..101).map(|i| i * 7).collect();
        for (v, n) in [
            (1.0, 101),
            (2.0, 202),
            (1.5, 152),
            (0.5, 51),
            (0.1, 10),
            (3.25, 328),
        ] {
            let r = replay(&ts, 1.0, v);
            assert_eq!(r.requests(), n, "volume {v}");
            let got = times(r, SimTime::from_secs(10_000));
            assert_eq!(got.len() as u64, n, "volume {v}");
            assert!(got.windows(2).all(|w| w[0] <= w[1]), "volume {v}");
        }
    }

    #[test]
    fn a_row_that_generated_its_recorded_max_tokens_is_truncated() {
        // (output_tokens, recorded max_tokens): truncated?
        let cases = [
            (64, 64, true),
            (63, 64, false),
            (5000, 0, false),
            (5, 0, false),
        ];
        let rows = cases
            .iter()
            .enumerate()
            .map(|(i, &(output_tokens, max_tokens, _))| TraceRow {
                at: i as u64 * SimTime::NANOS_PER_SEC,
                input_tokens: 10,
                output_tokens,
                cache_read_tokens: 0,
                cache_write_tokens: 0,
                max_tokens,
                model: 0,
                class: 0,
            })
            .collect();
        let r = TraceReplay {
            trace: Arc::new(Trace {
                file: "t.csv".into(),
                rows,
            }),
            time_scale: 1.0,
            volume: 1.0,
        };
        let mut arrivals = ChaCha8Rng::seed_from_u64(9);
        let mut sizes = ChaCha8Rng::seed_from_u64(10);
        let mut c = TraceCursor::new(r, SimTime::from_secs(60), &mut arrivals);
        // Rows without max_tokens draw 1024, raised to 5000 for the third.
        let drawn = TokenSampler::Constant(1024);
        for (output, max, truncated) in cases {
            let q = c
                .next_request(0, None, None, &drawn, &mut arrivals, &mut sizes)
                .unwrap();
            let max = if max == 0 { 1024.max(output) } else { max };
            assert_eq!(
                (q.output_tokens, q.max_tokens, q.truncated),
                (output as u64, max as u64, truncated)
            );
        }
        assert!(
            c.next_request(0, None, None, &drawn, &mut arrivals, &mut sizes)
                .is_none()
        );
    }

    #[test]
    fn time_scale_divides_gaps_and_duration_cuts() {
        let r = replay(&[0, 10, 20, 30], 2.0, 1.0);
        assert_eq!(r.span(), SimTime::from_secs(15));
        let got = times(r, SimTime::from_secs(15));
        assert_eq!(
            got,
            vec![SimTime::ZERO, SimTime::from_secs(5), SimTime::from_secs(10)]
        );
    }
}
