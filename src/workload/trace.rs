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
//! - **Requests.** `requests` re-cuts the same tokens into a different
//!   number of requests, for traces whose request count is an estimate (a
//!   usage report has tokens per bucket, not requests): `n` rows become
//!   `max(1, round(requests × n))`. Request `j` covers the stretch
//!   `[j, j + 1) × n ÷ n'` of the rows, each row's tokens spread evenly over
//!   its unit, so every token is replayed exactly once (0.5 merges pairs of
//!   rows, 2 splits each row in two); it arrives where its stretch starts,
//!   interpolated between its row and the next (the gap capped at
//!   [`SPREAD_CAP`]). Model and class come from the row it starts in;
//!   `max_tokens` is kept when it lies within one row. `volume` then applies
//!   to these requests.

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

/// Bounds of `requests` (requests per recorded row).
pub const REQUESTS_RANGE: (f64, f64) = (0.01, 100.0);

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
    /// Requests the rows' tokens are cut into, per row (1.0: as recorded;
    /// see the module docs). Within [`REQUESTS_RANGE`].
    pub requests: f64,
    /// The range `requests` is only an estimate within (a usage report's
    /// request count): `plan` shows its answer at both ends.
    pub requests_range: Option<[f64; 2]>,
}

impl TraceReplay {
    /// A replay of `trace` as recorded: every row once, at its time.
    pub fn as_recorded(trace: Arc<Trace>) -> TraceReplay {
        TraceReplay {
            trace,
            time_scale: 1.0,
            volume: 1.0,
            requests: 1.0,
            requests_range: None,
        }
    }

    /// How many requests a replay of the whole trace produces (before the
    /// `duration` cut): exact, whatever the seed.
    pub fn requests(&self) -> u64 {
        let n = self.len() as u64;
        let (whole, extra) = self.split(n);
        whole as u64 * n + extra
    }

    /// Simulated time of the last row's first replay.
    pub fn span(&self) -> SimTime {
        match self.len() {
            0 => SimTime::ZERO,
            n => self.scale(self.at(n - 1)),
        }
    }

    /// The rows as replayed before `volume`: the recorded ones, or their
    /// tokens re-cut into `requests` per row. Times are trace times.
    pub fn rows(&self) -> impl Iterator<Item = TraceRow> + '_ {
        let mut cut = Recut::default();
        (0..self.len()).map(move |j| self.row(j, &mut cut))
    }

    /// Rows after re-cutting.
    fn len(&self) -> usize {
        let n = self.trace.rows.len();
        if self.requests == 1.0 || n == 0 {
            n
        } else {
            ((n as f64 * self.requests).round() as usize).max(1)
        }
    }

    /// Where re-cut row `j` starts: recorded row `q`, `r / len()` of the
    /// way through it.
    fn position(&self, j: usize) -> (usize, u128) {
        let x = j as u128 * self.trace.rows.len() as u128;
        let n = self.len() as u128;
        ((x / n) as usize, x % n)
    }

    /// Trace time of re-cut row `j`.
    fn at(&self, j: usize) -> u64 {
        let rows = &self.trace.rows;
        if self.requests == 1.0 {
            return rows[j].at;
        }
        let (q, r) = self.position(j);
        let at = rows[q].at;
        if r == 0 {
            return at;
        }
        let gap = match (rows.get(q + 1), q.checked_sub(1)) {
            (Some(next), _) => next.at - at,
            (None, Some(prev)) => at - rows[prev].at,
            (None, None) => 0,
        }
        .min(SPREAD_CAP.as_nanos());
        at + (gap as u128 * r / self.len() as u128) as u64
    }

    /// Re-cut row `j`; `cut` walks the rows forward, so calls must come
    /// in increasing `j`.
    fn row(&self, j: usize, cut: &mut Recut) -> TraceRow {
        let rows = &self.trace.rows;
        if self.requests == 1.0 {
            return rows[j];
        }
        let n = self.len() as u128;
        let (q, r) = self.position(j);
        let (q2, r2) = self.position(j + 1);
        let start = cut.tokens(rows, q, r, n);
        let end = cut.tokens(rows, q2, r2, n);
        let take = |k: usize| u32::try_from(end[k] - start[k]).unwrap_or(u32::MAX);
        let within_one_row = q2 == q || (q2 == q + 1 && r2 == 0);
        TraceRow {
            at: self.at(j),
            input_tokens: take(0),
            output_tokens: take(1),
            cache_read_tokens: take(2),
            cache_write_tokens: take(3),
            max_tokens: if within_one_row {
                rows[q].max_tokens
            } else {
                0
            },
            model: rows[q].model,
            class: rows[q].class,
        }
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

/// Running token totals over the recorded rows, for re-cutting them.
#[derive(Clone, Debug, Default)]
struct Recut {
    /// Rows summed so far.
    q: usize,
    /// Their input, output, cache-read and cache-write tokens.
    sum: [u64; 4],
}

impl Recut {
    /// Tokens before position (`q`, `r / n` into row `q`): whole rows
    /// before it, and row `q`'s tokens pro rata, rounded down (so a row's
    /// shares add up to the row).
    fn tokens(&mut self, rows: &[TraceRow], q: usize, r: u128, n: u128) -> [u64; 4] {
        let parts = |row: &TraceRow| {
            [
                row.input_tokens,
                row.output_tokens,
                row.cache_read_tokens,
                row.cache_write_tokens,
            ]
            .map(u64::from)
        };
        while self.q < q {
            for (sum, x) in self.sum.iter_mut().zip(parts(&rows[self.q])) {
                *sum += x;
            }
            self.q += 1;
        }
        let mut out = self.sum;
        if r > 0 {
            for (o, x) in out.iter_mut().zip(parts(&rows[q])) {
                *o += (x as u128 * r / n) as u64;
            }
        }
        out
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
    /// The re-cut row being replayed (`requests` ≠ 1), and its walker.
    current: Option<(usize, TraceRow)>,
    cut: Recut,
}

impl TraceCursor {
    /// A cursor at the start of the trace; `rng` is the stream's arrival
    /// stream (it picks rows for fractional volume and places copies).
    pub(super) fn new(replay: TraceReplay, horizon: SimTime, rng: &mut ChaCha8Rng) -> TraceCursor {
        let rows = replay.len() as u64;
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
            current: None,
            cut: Recut::default(),
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
        let row = match self.current {
            _ if self.replay.requests == 1.0 => self.replay.trace.rows[i],
            Some((j, row)) if j == i => row,
            _ => {
                let row = self.replay.row(i, &mut self.cut);
                self.current = Some((i, row));
                row
            }
        };
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
        let n = self.replay.len();
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
        let r = &self.replay;
        let at = r.at(self.row);
        if self.copy == 0 {
            return at;
        }
        let gap = match (self.row + 1 < r.len(), self.row.checked_sub(1)) {
            (true, _) => r.at(self.row + 1) - at,
            (false, Some(prev)) => at - r.at(prev),
            (false, None) => 0,
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
            requests: 1.0,
            requests_range: None,
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
            requests: 1.0,
            requests_range: None,
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

    /// Rows with distinct token counts, 10 s apart.
    fn varied(n: u64) -> Vec<TraceRow> {
        (0..n)
            .map(|i| TraceRow {
                at: i * 10 * SimTime::NANOS_PER_SEC,
                input_tokens: 100 + 37 * i as u32,
                output_tokens: 7 + 3 * i as u32,
                cache_read_tokens: 1000 * (i as u32 % 3),
                cache_write_tokens: 11 * (i as u32 % 2),
                max_tokens: 0,
                model: 0,
                class: 0,
            })
            .collect()
    }

    fn totals(rows: impl Iterator<Item = TraceRow>) -> (usize, [u64; 4]) {
        let mut n = 0;
        let mut t = [0u64; 4];
        for r in rows {
            n += 1;
            t[0] += r.input_tokens as u64;
            t[1] += r.output_tokens as u64;
            t[2] += r.cache_read_tokens as u64;
            t[3] += r.cache_write_tokens as u64;
        }
        (n, t)
    }

    #[test]
    fn recutting_keeps_every_token_and_changes_only_the_count() {
        let rows = varied(101);
        let mut r = TraceReplay::as_recorded(Arc::new(Trace {
            file: "t.csv".into(),
            rows,
        }));
        let (n, recorded) = totals(r.rows());
        assert_eq!(n, 101);
        // Hand totals: sum of 100 + 37 i over 0..101, and so on.
        assert_eq!(recorded[0], 100 * 101 + 37 * 5050);
        assert_eq!(recorded[1], 7 * 101 + 3 * 5050);
        for (requests, want) in [(0.5, 51), (2.0, 202), (0.3, 30), (3.7, 374), (0.01, 1)] {
            r.requests = requests;
            let (n, got) = totals(r.rows());
            assert_eq!(n, want, "requests {requests}");
            assert_eq!(got, recorded, "requests {requests}");
            assert_eq!(r.requests(), want as u64);
            let times: Vec<u64> = r.rows().map(|x| x.at).collect();
            assert!(
                times.windows(2).all(|w| w[0] <= w[1]),
                "requests {requests}"
            );
        }
    }

    #[test]
    fn halving_merges_pairs_and_doubling_splits_rows_evenly() {
        let rows = varied(4);
        let mut r = TraceReplay::as_recorded(Arc::new(Trace {
            file: "t.csv".into(),
            rows: rows.clone(),
        }));
        r.requests = 0.5;
        let got: Vec<TraceRow> = r.rows().collect();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].at, rows[0].at);
        assert_eq!(got[1].at, rows[2].at);
        assert_eq!(
            got[0].input_tokens,
            rows[0].input_tokens + rows[1].input_tokens
        );
        assert_eq!(
            got[1].output_tokens,
            rows[2].output_tokens + rows[3].output_tokens
        );
        r.requests = 2.0;
        let got: Vec<TraceRow> = r.rows().collect();
        assert_eq!(got.len(), 8);
        // Row 1 (137 input tokens at 10 s) becomes 68 at 10 s and 69 at 15 s.
        assert_eq!(
            (got[2].at, got[2].input_tokens),
            (10 * SimTime::NANOS_PER_SEC, 68)
        );
        assert_eq!(
            (got[3].at, got[3].input_tokens),
            (15 * SimTime::NANOS_PER_SEC, 69)
        );
        // The last row's half lands a half of the previous gap later.
        assert_eq!(got[7].at, 35 * SimTime::NANOS_PER_SEC);
    }

    #[test]
    fn the_cursor_replays_the_recut_rows() {
        let mut r = TraceReplay::as_recorded(Arc::new(Trace {
            file: "t.csv".into(),
            rows: varied(50),
        }));
        r.requests = 0.7;
        let want: Vec<TraceRow> = r.rows().collect();
        let mut arrivals = ChaCha8Rng::seed_from_u64(9);
        let mut sizes = ChaCha8Rng::seed_from_u64(10);
        let mut c = TraceCursor::new(r, SimTime::from_secs(10_000), &mut arrivals);
        let drawn = TokenSampler::Constant(1 << 20);
        for w in &want {
            let q = c
                .next_request(0, None, None, &drawn, &mut arrivals, &mut sizes)
                .unwrap();
            assert_eq!(q.arrival, SimTime(w.at));
            assert_eq!(
                (
                    q.input_tokens,
                    q.output_tokens,
                    q.cache_read_tokens,
                    q.cache_write_tokens
                ),
                (
                    w.input_tokens as u64,
                    w.output_tokens as u64,
                    w.cache_read_tokens as u64,
                    w.cache_write_tokens as u64
                )
            );
        }
        assert!(
            c.next_request(0, None, None, &drawn, &mut arrivals, &mut sizes)
                .is_none()
        );
    }
}
