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

use std::collections::BTreeMap;

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
    /// Requests by number of retries: index n counts requests retried n times.
    pub retries_per_request: Vec<u64>,
    /// Simulated seconds between a rejected attempt and the next attempt of
    /// the same request, in order.
    pub waits_s: Vec<f64>,
    /// Of the waits after a 429 with `retry-after`, how many were at least
    /// that long (less 50 ms of clock slack).
    pub honoured_retry_after: u64,
    /// Waits after a 429 with `retry-after`, in all.
    pub waits_after_retry_after: u64,
    /// Chains whose final attempt did not succeed.
    pub gave_up: u64,
}

/// Groups attempts into retry chains and measures them. A chain is a run
/// of attempts with the same body hash where each one after the first
/// follows a rejection (and, when the client sends it, carries a retry
/// count above 0); a repeated body after a success starts a new chain.
pub fn retry_pattern(records: &[AttemptRecord]) -> RetryPattern {
    let mut out = RetryPattern::default();
    // Per body: the open chain's last attempt and its retries so far.
    let mut open: BTreeMap<&str, (&AttemptRecord, usize)> = BTreeMap::new();
    let mut chains: Vec<(usize, bool)> = Vec::new();
    let mut idx: BTreeMap<&str, usize> = BTreeMap::new();
    for r in records {
        out.attempts += 1;
        let key = r.attempt.body_hash.as_str();
        let continues = open.get(key).is_some_and(|(last, _)| {
            last.attempt.status != 200 && r.attempt.retry_count != Some(0)
        });
        if continues {
            let Some((last, retries)) = open.get(key).copied() else {
                continue;
            };
            let wait = r.timestamp - (last.timestamp + last.attempt.latency_ms / 1000.0);
            out.waits_s.push(wait);
            if let Some(ra) = last.attempt.retry_after {
                out.waits_after_retry_after += 1;
                if wait + 0.05 >= ra as f64 {
                    out.honoured_retry_after += 1;
                }
            }
            open.insert(key, (r, retries + 1));
            if let Some(&i) = idx.get(key) {
                chains[i] = (retries + 1, r.attempt.status == 200);
            }
        } else {
            open.insert(key, (r, 0));
            idx.insert(key, chains.len());
            chains.push((0, r.attempt.status == 200));
        }
    }
    out.requests = chains.len() as u64;
    for (retries, ok) in chains {
        if out.retries_per_request.len() <= retries {
            out.retries_per_request.resize(retries + 1, 0);
        }
        out.retries_per_request[retries] += 1;
        if !ok {
            out.gave_up += 1;
        }
    }
    out
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
        assert_eq!(p.retries_per_request, vec![2, 0, 1]);
        assert_eq!(p.waits_s, vec![2.0, 2.0]);
        assert_eq!((p.honoured_retry_after, p.waits_after_retry_after), (1, 2));
        assert_eq!(p.gave_up, 1);
    }
}
