//! One line per attempt the limiter judged, and the client's retry pattern
//! read back from those lines.
//!
//! A line is a usage-trace row (`timestamp` in simulated seconds since the
//! server started, `model`, the `usage` token fields, `max_tokens`) plus an
//! `attempt` object with what the server saw and said. `simulate` replays
//! such a file as a `trace:` stream: it skips rows whose
//! `attempt.retry_count` is above 0 (those retries were the client's; the
//! simulated strategy makes its own). A rejected attempt records the output
//! the request would have produced, so a first attempt that got a 429 still
//! describes the request fully.

use std::collections::{BTreeMap, HashMap};

use hdrhistogram::Histogram;

use serde::{Deserialize, Serialize};

/// One attempt, as `--record` writes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptRecord {
    /// Simulated seconds since the server started.
    pub timestamp: f64,
    /// Model id as the client sent it.
    pub model: String,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Output tokens (of the response, or that the request would have had).
    pub output_tokens: u64,
    /// Tokens read from the prompt cache.
    pub cache_read_input_tokens: u64,
    /// Tokens written to the prompt cache.
    pub cache_creation_input_tokens: u64,
    /// The request's `max_tokens`.
    pub max_tokens: u64,
    /// What the server saw and answered.
    pub attempt: AttemptInfo,
}

/// The server's side of one attempt.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttemptInfo {
    /// The `request-id` header sent back.
    pub request_id: String,
    /// HTTP status (200, 429, 529).
    pub status: u16,
    /// The dimension a 429 names (`rpm`, `itpm`, `otpm`, ...).
    pub dimension: Option<String>,
    /// `retry-after` sent, seconds.
    pub retry_after: Option<u64>,
    /// `x-stainless-retry-count` received (absent for clients that do not
    /// send it).
    pub retry_count: Option<u32>,
    /// Simulated milliseconds from arrival to the last byte of the response.
    pub latency_ms: f64,
    /// `stream: true`.
    pub stream: bool,
    /// Hash of the request body: the SDKs resend the same body on a retry,
    /// so attempts with equal hashes are one logical request.
    pub body_hash: String,
}

/// How the client retried, read from its attempts.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RetryPattern {
    /// Logical requests (attempts grouped by body hash into retry chains).
    pub requests: u64,
    /// Attempts in all.
    pub attempts: u64,
    /// Requests by number of retries: `n → requests retried n times` (only
    /// the counts seen, so one chain of a million retries is one entry).
    pub retries_per_request: BTreeMap<u64, u64>,
    /// Simulated seconds between a rejected attempt and the next attempt of
    /// the same request.
    pub waits: Option<Waits>,
    /// Of the waits after a 429 with `retry-after`, how many were at least
    /// that long (less 50 ms of clock slack).
    pub honoured_retry_after: u64,
    /// Waits after a 429 with `retry-after`, in all.
    pub waits_after_retry_after: u64,
    /// Chains whose final attempt did not succeed.
    pub gave_up: u64,
}

/// The waits between attempts of one request, simulated seconds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Waits {
    /// How many.
    pub count: u64,
    /// Shortest (exact).
    pub min_s: f64,
    /// Median, to 4 significant digits (of microseconds, from a histogram;
    /// a negative wait counts as 0 there).
    pub p50_s: f64,
    /// Longest (exact).
    pub max_s: f64,
}

/// Groups attempts into retry chains and measures them. A chain is a run
/// of attempts with the same body hash where each one after the first
/// follows a rejection (and, when the client sends it, carries a retry
/// count above 0); a repeated body after a success starts a new chain.
pub fn retry_pattern(records: &[AttemptRecord]) -> RetryPattern {
    let mut t = RetryTracker::default();
    for r in records {
        t.note(r);
    }
    t.pattern()
}

/// Retry chains still open (last attempt rejected) kept at most. Past it,
/// the older half (by last attempt) is closed as given up: a request not
/// retried while 32,768 newer ones were rejected has been abandoned.
pub const MAX_OPEN_CHAINS: usize = 1 << 16;

/// [`retry_pattern`], one attempt at a time, in memory that does not grow
/// with the attempts: only chains whose last attempt was rejected are kept
/// (at most [`MAX_OPEN_CHAINS`]), the waits go to a histogram.
#[derive(Clone, Debug)]
pub struct RetryTracker {
    open: HashMap<u64, Chain>,
    seq: u64,
    attempts: u64,
    requests: u64,
    /// Chains closed: by retries.
    closed: BTreeMap<u64, u64>,
    /// Of the closed chains, those that gave up.
    closed_gave_up: u64,
    /// Waits in microseconds (negative ones as 0).
    waits_us: Histogram<u64>,
    waits_min: f64,
    waits_max: f64,
    honoured: u64,
    after_retry_after: u64,
}

#[derive(Clone, Copy, Debug)]
struct Chain {
    /// Timestamp of its first attempt.
    first: f64,
    /// When its last attempt's response ended.
    last_end: f64,
    /// The `retry-after` its last attempt got.
    last_retry_after: Option<u64>,
    retries: u64,
    /// Order of its last attempt.
    seq: u64,
}

/// Where an attempt stands in its request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Step {
    /// It is a new logical request's first attempt.
    pub new_request: bool,
    /// Timestamp of its request's first attempt.
    pub first: f64,
}

impl Default for RetryTracker {
    fn default() -> RetryTracker {
        RetryTracker {
            open: HashMap::new(),
            seq: 0,
            attempts: 0,
            requests: 0,
            closed: BTreeMap::new(),
            closed_gave_up: 0,
            waits_us: wait_histogram(),
            waits_min: f64::INFINITY,
            waits_max: f64::NEG_INFINITY,
            honoured: 0,
            after_retry_after: 0,
        }
    }
}

fn wait_histogram() -> Histogram<u64> {
    // Invariant: `Histogram::new` fails only for more than 5 significant
    // digits; 4 is a constant.
    #[allow(clippy::expect_used)]
    Histogram::new(4).expect("4 significant digits is valid")
}

/// Records `v` (auto-resizing; clamped if even that fails).
pub(crate) fn record(h: &mut Histogram<u64>, v: u64) {
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}

/// The body hash's 64 bits (any other text is hashed).
fn chain_key(body_hash: &str) -> u64 {
    u64::from_str_radix(body_hash, 16)
        .unwrap_or_else(|_| super::request::fnv1a(0, body_hash.as_bytes()))
}

impl RetryTracker {
    /// Notes the next attempt (in the order the server judged them).
    pub fn note(&mut self, r: &AttemptRecord) -> Step {
        self.attempts += 1;
        self.seq += 1;
        let key = chain_key(&r.attempt.body_hash);
        let ok = r.attempt.status == 200;
        let end = r.timestamp + r.attempt.latency_ms / 1000.0;
        // Every open chain's last attempt was rejected.
        if let Some(c) = self.open.get_mut(&key)
            && r.attempt.retry_count != Some(0)
        {
            let wait = r.timestamp - c.last_end;
            if let Some(ra) = c.last_retry_after {
                self.after_retry_after += 1;
                if wait + 0.05 >= ra as f64 {
                    self.honoured += 1;
                }
            }
            c.retries += 1;
            let (first, retries) = (c.first, c.retries);
            if ok {
                self.open.remove(&key);
                self.close(retries, true);
            } else {
                c.last_end = end;
                c.last_retry_after = r.attempt.retry_after;
                c.seq = self.seq;
            }
            self.waits_min = self.waits_min.min(wait);
            self.waits_max = self.waits_max.max(wait);
            record(&mut self.waits_us, (wait.max(0.0) * 1e6).round() as u64);
            return Step {
                new_request: false,
                first,
            };
        }
        if let Some(old) = self.open.remove(&key) {
            self.close(old.retries, false);
        }
        self.requests += 1;
        if ok {
            self.close(0, true);
        } else {
            self.open.insert(
                key,
                Chain {
                    first: r.timestamp,
                    last_end: end,
                    last_retry_after: r.attempt.retry_after,
                    retries: 0,
                    seq: self.seq,
                },
            );
            if self.open.len() > MAX_OPEN_CHAINS {
                self.evict();
            }
        }
        Step {
            new_request: true,
            first: r.timestamp,
        }
    }

    fn close(&mut self, retries: u64, ok: bool) {
        *self.closed.entry(retries).or_default() += 1;
        if !ok {
            self.closed_gave_up += 1;
        }
    }

    /// Closes the older half of the open chains as given up.
    fn evict(&mut self) {
        let mut seqs: Vec<u64> = self.open.values().map(|c| c.seq).collect();
        let mid = seqs.len() / 2;
        let (_, &mut cut, _) = seqs.select_nth_unstable(mid);
        let old: Vec<u64> = self
            .open
            .iter()
            .filter(|(_, c)| c.seq < cut)
            .map(|(k, _)| *k)
            .collect();
        for k in old {
            if let Some(c) = self.open.remove(&k) {
                self.close(c.retries, false);
            }
        }
    }

    /// Requests whose last attempt did not succeed (open chains included).
    pub fn gave_up(&self) -> u64 {
        self.closed_gave_up + self.open.len() as u64
    }

    /// The pattern so far; open chains count as given up.
    pub fn pattern(&self) -> RetryPattern {
        let mut retries_per_request = self.closed.clone();
        for c in self.open.values() {
            *retries_per_request.entry(c.retries).or_default() += 1;
        }
        let n = self.waits_us.len();
        RetryPattern {
            requests: self.requests,
            attempts: self.attempts,
            retries_per_request,
            waits: (n > 0).then(|| Waits {
                count: n,
                min_s: self.waits_min,
                p50_s: self.waits_us.value_at_quantile(0.5) as f64 / 1e6,
                max_s: self.waits_max,
            }),
            honoured_retry_after: self.honoured,
            waits_after_retry_after: self.after_retry_after,
            gave_up: self.gave_up(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(t: f64, body: &str, status: u16, retry_after: Option<u64>, n: u32) -> AttemptRecord {
        AttemptRecord {
            timestamp: t,
            model: "m".into(),
            input_tokens: 1,
            output_tokens: 1,
            cache_read_input_tokens: 0,
            cache_creation_input_tokens: 0,
            max_tokens: 1,
            attempt: AttemptInfo {
                request_id: "r".into(),
                status,
                dimension: None,
                retry_after,
                retry_count: Some(n),
                latency_ms: 0.0,
                stream: false,
                body_hash: body.into(),
            },
        }
    }

    #[test]
    fn open_chains_are_bounded_and_the_oldest_give_up() {
        let mut t = RetryTracker::default();
        let n = MAX_OPEN_CHAINS as u64 + 10;
        for i in 0..n {
            t.note(&rec(i as f64, &format!("{i:016x}"), 429, None, 0));
        }
        assert!(t.open.len() <= MAX_OPEN_CHAINS);
        // Every request so far gave up, evicted or still open.
        let p = t.pattern();
        assert_eq!((p.requests, p.gave_up), (n, n));
        assert_eq!(p.retries_per_request, BTreeMap::from([(0, n)]));
        // A retry of the newest still continues its chain and succeeds.
        t.note(&rec(n as f64, &format!("{:016x}", n - 1), 200, None, 1));
        let p = t.pattern();
        assert_eq!((p.requests, p.gave_up), (n, n - 1));
        assert_eq!(p.retries_per_request[&1], 1);
    }

    #[test]
    fn chains_retries_and_checks_the_waits() {
        let recs = [
            rec(0.0, "a", 429, Some(2), 0),
            rec(0.1, "b", 200, None, 0),
            rec(2.0, "a", 429, Some(3), 1), // waited 2.0 >= 2: honoured
            rec(4.0, "a", 200, None, 2),    // waited 2.0 < 3: not
            rec(5.0, "a", 429, Some(1), 0), // same body again: a new request
        ];
        let p = retry_pattern(&recs);
        assert_eq!(p.requests, 3);
        assert_eq!(p.attempts, 5);
        assert_eq!(p.retries_per_request, BTreeMap::from([(0, 2), (2, 1)]));
        let w = p.waits.unwrap();
        assert_eq!((w.count, w.min_s, w.max_s), (2, 2.0, 2.0));
        assert!((w.p50_s - 2.0).abs() < 2e-4, "{w:?}");
        assert_eq!((p.honoured_retry_after, p.waits_after_retry_after), (1, 2));
        assert_eq!(p.gave_up, 1);
    }
}
