//! The rate-limit values a response carries, as typed fields.
//!
//! Strategies read these, never the server's buckets. They mirror the
//! `anthropic-ratelimit-*` headers, `retry-after` and `x-should-retry`.

use crate::engine::SimTime;

/// `anthropic-ratelimit-<dimension>-{limit,remaining,reset}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitHeader {
    /// The per-minute limit.
    pub limit: u64,
    /// What is left now; token counts are rounded to the nearest thousand,
    /// as Anthropic documents.
    pub remaining: u64,
    /// When the limiter will be fully replenished (RFC 3339 on the wire).
    pub reset: SimTime,
}

/// Every rate-limit header of one response. Absent dimensions are unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimitHeaders {
    /// `anthropic-ratelimit-requests-*`.
    pub requests: Option<LimitHeader>,
    /// `anthropic-ratelimit-input-tokens-*`.
    pub input_tokens: Option<LimitHeader>,
    /// `anthropic-ratelimit-output-tokens-*`.
    pub output_tokens: Option<LimitHeader>,
    /// `anthropic-ratelimit-tokens-*`: input plus output.
    pub tokens: Option<LimitHeader>,
}

impl RateLimitHeaders {
    /// Per dimension, whichever of `self` and `other` has less remaining: a
    /// workspace's headers show "the most restrictive limit currently in
    /// effect".
    pub fn most_restrictive(&self, other: &RateLimitHeaders) -> RateLimitHeaders {
        let pick = |a: Option<LimitHeader>, b: Option<LimitHeader>| match (a, b) {
            (Some(a), Some(b)) => Some(if b.remaining < a.remaining { b } else { a }),
            (a, b) => a.or(b),
        };
        RateLimitHeaders {
            requests: pick(self.requests, other.requests),
            input_tokens: pick(self.input_tokens, other.input_tokens),
            output_tokens: pick(self.output_tokens, other.output_tokens),
            tokens: pick(self.tokens, other.tokens),
        }
    }
}

/// Rounds a token count to the nearest thousand (half up).
pub fn round_to_thousand(n: u64) -> u64 {
    n.saturating_add(500) / 1000 * 1000
}

/// Formats a simulated time as the RFC 3339 timestamp the real header holds,
/// counting from `epoch_unix_s` (seconds since 1970-01-01T00:00:00Z).
pub fn rfc3339(t: SimTime, epoch_unix_s: u64) -> String {
    let secs = epoch_unix_s + t.as_nanos() / SimTime::NANOS_PER_SEC;
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_up_to_thousands() {
        assert_eq!(round_to_thousand(0), 0);
        assert_eq!(round_to_thousand(499), 0);
        assert_eq!(round_to_thousand(500), 1000);
        assert_eq!(round_to_thousand(12_450), 12_000);
        assert_eq!(round_to_thousand(29_999), 30_000);
    }

    #[test]
    fn formats_reset_as_rfc3339() {
        // 2025-04-30T13:31:10Z is 1746019870.
        assert_eq!(
            rfc3339(SimTime::from_secs(61), 1_746_019_870),
            "2025-04-30T13:32:11Z"
        );
    }
}
