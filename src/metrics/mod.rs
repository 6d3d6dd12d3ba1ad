//! Streaming metrics: counters and fixed-precision histograms, so memory does
//! not grow with the number of requests.

pub mod series;
pub mod slo;

use hdrhistogram::Histogram;

use crate::engine::SimTime;
use crate::model::Dimension;

pub use series::{PoolBucket, Series};
pub use slo::{Slo, SloRule};

/// An empty latency histogram: 3 significant digits, auto-resizing, so
/// memory grows with the log of the largest value, never with the count.
fn latency_histogram() -> Histogram<u64> {
    // Invariant: `Histogram::new` fails only for more than 5 significant
    // digits; 3 is a constant.
    #[allow(clippy::expect_used)]
    Histogram::new(3).expect("3 significant digits is valid")
}

/// Records a duration in microseconds (at least 1).
pub fn record_us(h: &mut Histogram<u64>, d: SimTime) {
    let us = (d.as_nanos() / 1_000).max(1);
    // `record` grows the auto-resizing histogram; `saturating_record` would
    // clamp to its current range instead.
    if h.record(us).is_err() {
        h.saturating_record(us);
    }
}

/// Number of rate-limit dimensions counted.
pub const DIMENSIONS: usize = Dimension::ALL.len();

/// Why a logical request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The retry policy gave up (or the server said not to retry).
    GaveUp,
    /// Its deadline passed before it succeeded.
    Deadline,
    /// It can never fit a limit (larger than a bucket's capacity).
    TooLarge,
    /// Still queued or in flight when the drain period ended.
    Unfinished,
    /// Sent through the Batch API in a batch that expired after 24 h.
    BatchExpired,
    /// Refused because the monthly spend limit was reached (429
    /// `enforced_spend_limit_reached`, or 400 for a self-set limit).
    SpendLimit,
    /// Dropped unsent by the client's queue: older than its `shed` age.
    Shed,
}

/// Number of failure reasons.
pub const FAILURES: usize = 7;

/// Tokens by kind, as billed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tokens {
    /// Uncached input.
    pub input: u64,
    /// Output.
    pub output: u64,
    /// Cache reads.
    pub cache_read: u64,
    /// Cache writes (all TTLs).
    pub cache_write: u64,
    /// The part of `cache_write` made with the 1-hour TTL.
    pub cache_write_1h: u64,
}

impl Tokens {
    /// Adds another count.
    pub fn add(&mut self, o: &Tokens) {
        self.input += o.input;
        self.output += o.output;
        self.cache_read += o.cache_read;
        self.cache_write += o.cache_write;
        self.cache_write_1h += o.cache_write_1h;
    }
}

/// Counts and latency of one priority class.
#[derive(Clone, Debug)]
pub struct ClassMetrics {
    /// Logical requests that arrived.
    pub requests: u64,
    /// Logical requests that succeeded within their deadline.
    pub succeeded: u64,
    /// Of `succeeded`, those that met the class's SLO rule (zero when the
    /// class has none).
    pub slo_met: u64,
    /// Of `succeeded`, those whose response stopped at `max_tokens`
    /// (`stop_reason: "max_tokens"`, output cut short).
    pub truncated: u64,
    /// Failures by reason: gave up, deadline, too large, unfinished.
    pub failed: [u64; FAILURES],
    /// Attempts sent.
    pub attempts: u64,
    /// 429s by dimension, indexed by [`Dimension::index`].
    pub rate_limited: [u64; DIMENSIONS],
    /// Successes served by a fallback model rather than the primary.
    pub routed_away: u64,
    /// The part of the 429s that a workspace cap (not the organisation's
    /// limit) caused.
    pub workspace_limited: u64,
    /// 529s.
    pub overloaded: u64,
    /// Of `overloaded`, those that arrived mid-stream after a 200 began
    /// (their partial output is billed and the SDKs do not retry them).
    pub overloaded_mid_stream: u64,
    /// Of the 429s, those for a request larger than the limit's whole
    /// capacity (no wait helps).
    pub oversized: u64,
    /// Attempts the client rejected itself (adaptive throttling); never sent.
    pub throttled_locally: u64,
    /// Arrival-to-completion latency of successes, in microseconds.
    pub latency_us: Histogram<u64>,
    /// Total time attempts waited in the client's queue before they were
    /// sent (from arrival, or from the end of a backoff), in nanoseconds.
    pub queue_wait_ns: u128,
    /// Attempts whose wait `queue_wait_ns` sums.
    pub queue_waits: u64,
    /// Billed tokens per model index (Messages API, list price).
    pub tokens_by_model: Vec<Tokens>,
    /// Billed tokens per model index through the Batch API (half price).
    pub batch_tokens_by_model: Vec<Tokens>,
    /// The part of `tokens_by_model` from long-context requests (input over
    /// 200K tokens on models with long-context prices), billed at those.
    pub long_context_tokens_by_model: Vec<Tokens>,
    /// Logical requests sent through the Batch API.
    pub batch_requests: u64,
    /// Of those, how many succeeded.
    pub batch_succeeded: u64,
    /// Billed responses that read their prefix from the prompt cache.
    pub cache_hits: u64,
    /// Billed responses that wrote their prefix to the cache.
    pub cache_misses: u64,
}

impl ClassMetrics {
    /// Empty metrics for `models` models.
    pub fn new(models: usize) -> ClassMetrics {
        ClassMetrics {
            requests: 0,
            succeeded: 0,
            slo_met: 0,
            truncated: 0,
            failed: [0; FAILURES],
            attempts: 0,
            rate_limited: [0; DIMENSIONS],
            overloaded: 0,
            overloaded_mid_stream: 0,
            oversized: 0,
            workspace_limited: 0,
            routed_away: 0,
            throttled_locally: 0,
            latency_us: latency_histogram(),
            queue_wait_ns: 0,
            queue_waits: 0,
            tokens_by_model: vec![Tokens::default(); models],
            batch_tokens_by_model: vec![Tokens::default(); models],
            long_context_tokens_by_model: vec![Tokens::default(); models],
            batch_requests: 0,
            batch_succeeded: 0,
            cache_hits: 0,
            cache_misses: 0,
        }
    }

    /// Total failures.
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }

    /// Records a 429 for `dimension`.
    pub fn rate_limited_by(&mut self, dimension: Dimension) {
        self.rate_limited[dimension.index()] += 1;
    }

    /// Records a failure.
    pub fn fail(&mut self, why: Failure) {
        let i = match why {
            Failure::GaveUp => 0,
            Failure::Deadline => 1,
            Failure::TooLarge => 2,
            Failure::Unfinished => 3,
            Failure::BatchExpired => 4,
            Failure::SpendLimit => 5,
            Failure::Shed => 6,
        };
        self.failed[i] += 1;
    }

    /// Records a success's latency.
    pub fn succeed(&mut self, latency: SimTime) {
        self.succeeded += 1;
        record_us(&mut self.latency_us, latency);
    }

    /// Records how long an attempt waited in the client's queue.
    pub fn queued_for(&mut self, wait: SimTime) {
        self.queue_wait_ns += wait.as_nanos() as u128;
        self.queue_waits += 1;
    }

    /// Mean wait in the client's queue per attempt sent (zero when none was).
    pub fn mean_queue_wait(&self) -> SimTime {
        match self.queue_wait_ns.checked_div(self.queue_waits as u128) {
            Some(ns) => SimTime(ns.min(u64::MAX as u128) as u64),
            None => SimTime::ZERO,
        }
    }

    /// Merges another class's metrics into this one (for totals).
    pub fn merge(&mut self, o: &ClassMetrics) {
        self.requests += o.requests;
        self.succeeded += o.succeeded;
        self.slo_met += o.slo_met;
        self.truncated += o.truncated;
        for i in 0..FAILURES {
            self.failed[i] += o.failed[i];
        }
        for i in 0..DIMENSIONS {
            self.rate_limited[i] += o.rate_limited[i];
        }
        self.attempts += o.attempts;
        self.queue_wait_ns += o.queue_wait_ns;
        self.queue_waits += o.queue_waits;
        self.overloaded += o.overloaded;
        self.overloaded_mid_stream += o.overloaded_mid_stream;
        self.oversized += o.oversized;
        self.workspace_limited += o.workspace_limited;
        self.routed_away += o.routed_away;
        self.throttled_locally += o.throttled_locally;
        self.cache_hits += o.cache_hits;
        self.cache_misses += o.cache_misses;
        // Invariant: both histograms come from `latency_histogram`, which
        // auto-resizes, and `add` fails only when a value would not fit.
        #[allow(clippy::expect_used)]
        self.latency_us
            .add(&o.latency_us)
            .expect("auto-resizing histograms always merge");
        for (a, b) in self.tokens_by_model.iter_mut().zip(&o.tokens_by_model) {
            a.add(b);
        }
        for (a, b) in self
            .batch_tokens_by_model
            .iter_mut()
            .zip(&o.batch_tokens_by_model)
        {
            a.add(b);
        }
        for (a, b) in self
            .long_context_tokens_by_model
            .iter_mut()
            .zip(&o.long_context_tokens_by_model)
        {
            a.add(b);
        }
        self.batch_requests += o.batch_requests;
        self.batch_succeeded += o.batch_succeeded;
    }
}

/// What happened at one model (attempts are counted where they were sent).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModelCounts {
    /// Attempts sent to the model.
    pub attempts: u64,
    /// Successful responses.
    pub succeeded: u64,
    /// 429s.
    pub rate_limited: u64,
    /// 529s.
    pub overloaded: u64,
}

/// What one replica of a fleet did (requests are counted where they landed).
#[derive(Clone, Debug)]
pub struct ReplicaMetrics {
    /// Logical requests the balancer gave it.
    pub requests: u64,
    /// Of those, how many succeeded within their deadline.
    pub succeeded: u64,
    /// Attempts it sent.
    pub attempts: u64,
    /// 429s it received.
    pub rate_limited: u64,
    /// Arrival-to-completion latency of its successes, in microseconds, to
    /// 2 significant digits.
    pub latency_us: Histogram<u64>,
}

impl Default for ReplicaMetrics {
    fn default() -> ReplicaMetrics {
        // Two significant digits (1 %) are plenty to compare replicas, and
        // keep a hundred replicas' histograms small enough to stay in cache.
        // Invariant: `Histogram::new` fails only for more than 5 digits.
        #[allow(clippy::expect_used)]
        let latency_us = Histogram::new(2).expect("2 significant digits is valid");
        ReplicaMetrics {
            requests: 0,
            succeeded: 0,
            attempts: 0,
            rate_limited: 0,
            latency_us,
        }
    }
}

/// Everything one simulated run measured.
#[derive(Clone, Debug)]
pub struct RunMetrics {
    /// Per priority class.
    pub classes: Vec<ClassMetrics>,
    /// Events the engine processed.
    pub events: u64,
    /// Largest client queue length seen.
    pub peak_queue: u64,
    /// Largest number of requests in flight seen.
    pub peak_in_flight: u64,
    /// Per model index.
    pub by_model: Vec<ModelCounts>,
    /// Batches submitted and accepted.
    pub batches: u64,
    /// Batch submissions answered 429 (queue full or endpoint rate).
    pub batch_rate_limited: u64,
    /// Submission-to-results time of accepted batches, in microseconds.
    pub batch_turnaround_us: Histogram<u64>,
    /// Per-bucket series for charts (empty until a run sizes it).
    pub series: Series,
    /// When the monthly spend limit first refused an attempt, if it did.
    pub spend_limit_first_hit: Option<SimTime>,
    /// Attempts the spend limit refused.
    pub spend_limited_attempts: u64,
    /// Per replica of the strategy's fleet (summed over workspaces); empty
    /// for a single client.
    pub by_replica: Vec<ReplicaMetrics>,
}

impl RunMetrics {
    /// Empty metrics.
    pub fn new(classes: usize, models: usize) -> RunMetrics {
        RunMetrics {
            classes: (0..classes).map(|_| ClassMetrics::new(models)).collect(),
            events: 0,
            peak_queue: 0,
            peak_in_flight: 0,
            by_model: vec![ModelCounts::default(); models],
            batches: 0,
            batch_rate_limited: 0,
            batch_turnaround_us: latency_histogram(),
            series: Series::default(),
            spend_limit_first_hit: None,
            spend_limited_attempts: 0,
            by_replica: Vec::new(),
        }
    }

    /// All classes merged.
    pub fn total(&self) -> ClassMetrics {
        let models = self.classes.first().map_or(0, |c| c.tokens_by_model.len());
        let mut t = ClassMetrics::new(models);
        for c in &self.classes {
            t.merge(c);
        }
        t
    }
}
