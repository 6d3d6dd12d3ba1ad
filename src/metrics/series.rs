//! Time series for charts and the `--timeseries` export: per-bucket counts
//! at a fixed bucket width, with a bounded number of buckets, so memory does
//! not grow with the number of requests (nor, beyond [`MAX_BUCKETS`], with the
//! simulated time).
//!
//! The width is 1 s unless the run is longer than [`MAX_BUCKETS`] seconds;
//! then it is the smallest "nice" width (5 s, 10 s, 30 s, 1 min, 5 min, 10 min,
//! 30 min, 1 h, 3 h, 6 h, 12 h, 1 day, then whole days) that keeps the count
//! within the bound.

use crate::engine::SimTime;
use crate::model::Dimension;

use super::DIMENSIONS;

/// Most buckets a series holds.
pub const MAX_BUCKETS: usize = 2_000;

/// Bucket widths tried in order, in seconds.
const NICE_WIDTHS_S: [u64; 13] = [
    1, 5, 10, 30, 60, 300, 600, 1_800, 3_600, 10_800, 21_600, 43_200, 86_400,
];

/// The bucket width for a run spanning `span`: the smallest nice width that
/// needs at most [`MAX_BUCKETS`] buckets.
pub fn bucket_width(span: SimTime) -> SimTime {
    let span_s = span.as_nanos().div_ceil(SimTime::NANOS_PER_SEC).max(1);
    let fits = |w: u64| span_s.div_ceil(w) <= MAX_BUCKETS as u64;
    let w = NICE_WIDTHS_S
        .iter()
        .copied()
        .find(|&w| fits(w))
        .unwrap_or_else(|| {
            // Whole days beyond the table.
            let day = 86_400;
            span_s.div_ceil(day).div_ceil(MAX_BUCKETS as u64) * day
        });
    SimTime::from_secs(w)
}

/// What one pool saw in one bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolBucket {
    /// Attempts sent to the pool's models (admitted or not).
    pub attempts: u64,
    /// Attempts admitted (the requests the RPM limit counts).
    pub requests: u64,
    /// Input tokens of admitted attempts as the ITPM limit counts them
    /// (uncached input + cache writes, + cache reads on models that count
    /// them).
    pub input_tokens: u64,
    /// Output tokens of admitted attempts, counted at admission.
    pub output_tokens: u64,
    /// Most requests in flight at the server (admitted, not finished) at once.
    pub in_flight_peak: u64,
    /// 429s received, by dimension ([`Dimension::index`]).
    pub rate_limited: [u64; DIMENSIONS],
    /// 529s received.
    pub overloaded: u64,
}

impl PoolBucket {
    /// Adds another bucket's counts (the in-flight peak is the larger).
    pub fn merge(&mut self, b: &PoolBucket) {
        self.attempts += b.attempts;
        self.requests += b.requests;
        self.input_tokens += b.input_tokens;
        self.output_tokens += b.output_tokens;
        self.in_flight_peak = self.in_flight_peak.max(b.in_flight_peak);
        for (t, r) in self.rate_limited.iter_mut().zip(&b.rate_limited) {
            *t += r;
        }
        self.overloaded += b.overloaded;
    }
}

/// Per-bucket series of one run.
#[derive(Clone, Debug, Default)]
pub struct Series {
    width: SimTime,
    buckets: usize,
    pools: usize,
    /// `buckets × pools`, bucket-major.
    data: Vec<PoolBucket>,
    /// Peak client queue (all clients, all pools) per bucket.
    queue_peak: Vec<u64>,
    /// The last bucket sampled and what it saw last (carried over buckets
    /// in which no event happened).
    last: Option<usize>,
    last_queue: u64,
    last_in_flight: Vec<u64>,
    /// The bucket last looked up: its start and end (ns) and index.
    cached: (u64, u64, usize),
}

impl Series {
    /// An empty series covering `[0, span]` for `pools` pools.
    pub fn new(span: SimTime, pools: usize) -> Series {
        let width = bucket_width(span);
        let buckets = (span.as_nanos() / width.as_nanos() + 1) as usize;
        let buckets = buckets.min(MAX_BUCKETS);
        Series {
            width,
            buckets,
            pools,
            data: vec![PoolBucket::default(); buckets * pools],
            queue_peak: vec![0; buckets],
            last: None,
            last_queue: 0,
            last_in_flight: vec![0; pools],
            cached: (0, 0, 0),
        }
    }

    /// Bucket width.
    pub fn width(&self) -> SimTime {
        self.width
    }

    /// Number of buckets.
    pub fn len(&self) -> usize {
        self.buckets
    }

    /// Whether the series has no buckets (a default, unrecorded series).
    pub fn is_empty(&self) -> bool {
        self.buckets == 0
    }

    /// Number of pools.
    pub fn pools(&self) -> usize {
        self.pools
    }

    /// Start of bucket `i`.
    pub fn start(&self, i: usize) -> SimTime {
        SimTime(self.width.as_nanos() * i as u64)
    }

    /// What `pool` saw in bucket `i`.
    pub fn pool(&self, i: usize, pool: usize) -> &PoolBucket {
        &self.data[i * self.pools + pool]
    }

    /// Peak client queue in bucket `i`.
    pub fn queue_peak(&self, i: usize) -> u64 {
        self.queue_peak[i]
    }

    /// The bucket `now` falls in. The last one found is remembered with
    /// its span, so the many records of one bucket divide only once.
    #[inline]
    fn index(&mut self, now: SimTime) -> Option<usize> {
        let t = now.as_nanos();
        if (self.cached.0..self.cached.1).contains(&t) {
            return Some(self.cached.2);
        }
        if self.buckets == 0 {
            return None;
        }
        let w = self.width.as_nanos();
        let i = ((t / w) as usize).min(self.buckets - 1);
        let start = w * i as u64;
        // The last bucket also holds everything after its nominal end.
        let end = if i + 1 == self.buckets {
            u64::MAX
        } else {
            start + w
        };
        self.cached = (start, end, i);
        Some(i)
    }

    fn at(&mut self, now: SimTime, pool: usize) -> Option<&mut PoolBucket> {
        let i = self.index(now)?;
        self.data.get_mut(i * self.pools + pool)
    }

    /// An attempt sent to `pool` at `now`; `admitted` gives the ITPM-counted
    /// input tokens and the output tokens when the server admitted it.
    pub fn sent(&mut self, now: SimTime, pool: usize, admitted: Option<(u64, u64)>) {
        if let Some(b) = self.at(now, pool) {
            b.attempts += 1;
            if let Some((input, output)) = admitted {
                b.requests += 1;
                b.input_tokens += input;
                b.output_tokens += output;
            }
        }
    }

    /// A 429 for `dimension` from `pool`, received at `now`.
    pub fn rate_limited(&mut self, now: SimTime, pool: usize, dimension: Dimension) {
        if let Some(b) = self.at(now, pool) {
            b.rate_limited[dimension.index()] += 1;
        }
    }

    /// Adds counts gathered elsewhere (at a width that divides this one)
    /// to the bucket holding `now`: `ratesim serve` folds its attempts into
    /// buckets as they come, before the session's span is known.
    pub fn add(&mut self, now: SimTime, pool: usize, counts: &PoolBucket) {
        if let Some(b) = self.at(now, pool) {
            b.merge(counts);
        }
    }

    /// A 529 from `pool`, received at `now`.
    pub fn overloaded(&mut self, now: SimTime, pool: usize) {
        if let Some(b) = self.at(now, pool) {
            b.overloaded += 1;
        }
    }

    /// The client queue length and each pool's in-flight count at `now`.
    /// Buckets since the previous sample in which nothing happened get the
    /// previous values (the queue only changes at events, so it is exact; the
    /// in-flight count can only have fallen, so it is an upper bound).
    pub fn sample(&mut self, now: SimTime, queue: u64, mut in_flight: impl FnMut(usize) -> u64) {
        let Some(i) = self.index(now) else {
            return;
        };
        if let Some(l) = self.last
            && l < i
        {
            for j in l + 1..i {
                self.queue_peak[j] = self.queue_peak[j].max(self.last_queue);
                for p in 0..self.pools {
                    let b = &mut self.data[j * self.pools + p];
                    b.in_flight_peak = b.in_flight_peak.max(self.last_in_flight[p]);
                }
            }
            // The queue held its previous length until now.
            self.queue_peak[i] = self.queue_peak[i].max(self.last_queue);
        }
        self.last = Some(i);
        self.last_queue = queue;
        self.queue_peak[i] = self.queue_peak[i].max(queue);
        for p in 0..self.pools {
            let f = in_flight(p);
            self.last_in_flight[p] = f;
            let b = &mut self.data[i * self.pools + p];
            b.in_flight_peak = b.in_flight_peak.max(f);
        }
    }

    /// Sums of every pool bucket over the run, per pool.
    pub fn totals(&self) -> Vec<PoolBucket> {
        let mut t = vec![PoolBucket::default(); self.pools];
        for i in 0..self.buckets {
            for (p, tp) in t.iter_mut().enumerate() {
                let b = self.pool(i, p);
                tp.attempts += b.attempts;
                tp.requests += b.requests;
                tp.input_tokens += b.input_tokens;
                tp.output_tokens += b.output_tokens;
                tp.in_flight_peak = tp.in_flight_peak.max(b.in_flight_peak);
                for d in 0..DIMENSIONS {
                    tp.rate_limited[d] += b.rate_limited[d];
                }
                tp.overloaded += b.overloaded;
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_nice_and_bounded() {
        let s = SimTime::from_secs;
        assert_eq!(bucket_width(s(60)), s(1));
        assert_eq!(bucket_width(s(2_000)), s(1));
        assert_eq!(bucket_width(s(2_001)), s(5));
        assert_eq!(bucket_width(s(7_800)), s(5));
        assert_eq!(bucket_width(s(86_400)), s(60));
        assert_eq!(bucket_width(s(30 * 86_400)), s(1_800));
        assert_eq!(bucket_width(s(10_000 * 86_400)), s(5 * 86_400));
        for span in [1, 59, 2_000, 2_001, 7_800, 90_000, 3_000_000, 900_000_000] {
            let series = Series::new(s(span), 1);
            assert!(series.len() <= MAX_BUCKETS, "{span}: {}", series.len());
            // The last bucket covers the end of the span.
            assert!(series.start(series.len()).as_nanos() > s(span).as_nanos() - 1);
        }
    }

    #[test]
    fn records_into_the_right_bucket() {
        let mut series = Series::new(SimTime::from_secs(10), 2);
        series.sent(SimTime::from_millis(1_500), 1, Some((100, 20)));
        series.sent(SimTime::from_millis(1_900), 1, None);
        series.rate_limited(SimTime::from_millis(1_999), 1, Dimension::Itpm);
        series.overloaded(SimTime::from_secs(10), 0);
        let b = series.pool(1, 1);
        assert_eq!((b.attempts, b.requests), (2, 1));
        assert_eq!((b.input_tokens, b.output_tokens), (100, 20));
        assert_eq!(b.rate_limited[Dimension::Itpm.index()], 1);
        assert_eq!(series.pool(10, 0).overloaded, 1);
        assert_eq!(series.totals()[1].attempts, 2);
    }

    #[test]
    fn sampling_carries_over_quiet_buckets() {
        let mut series = Series::new(SimTime::from_secs(10), 1);
        series.sample(SimTime::from_millis(500), 3, |_| 2);
        series.sample(SimTime::from_millis(700), 1, |_| 1);
        series.sample(SimTime::from_millis(4_200), 0, |_| 0);
        assert_eq!(series.queue_peak(0), 3);
        assert_eq!(series.pool(0, 0).in_flight_peak, 2);
        // Nothing happened in buckets 1-3: the queue stayed at 1.
        for i in 1..=3 {
            assert_eq!(series.queue_peak(i), 1);
            assert_eq!(series.pool(i, 0).in_flight_peak, 1);
        }
        // Bucket 4 started with one request queued.
        assert_eq!(series.queue_peak(4), 1);
        assert_eq!(series.pool(4, 0).in_flight_peak, 0);
        assert_eq!(series.queue_peak(5), 0);
    }
}
