//! The official Anthropic Python SDK's retry rule, re-implemented exactly.
//!
//! Sources (checked 2026-11-24, see `../shared/anthropic.md` §3):
//! - `src/anthropic/_constants.py`: `DEFAULT_MAX_RETRIES = 2`,
//!   `INITIAL_RETRY_DELAY = 0.5`, `MAX_RETRY_DELAY = 8.0`.
//! - `src/anthropic/_base_client.py`, `_parse_retry_after_header`,
//!   `_calculate_retry_timeout` and `_should_retry`, in
//!   anthropic-sdk-python commit `009b035305e0724ce108ebd796935f91711fc6e1`
//!   (v0.121.0; unchanged back to 2023) and in the released anthropic 2.13.0.
//!
//! The two versions differ in one line: 0.x uses the server's `retry-after`
//! only when `0 < v <= 60` seconds (anything longer falls back to the 0.5–8 s
//! backoff, so the SDK retries *sooner* than asked), while 2.x uses any
//! positive value as it is. The released wheels show the change in 1.6.0:
//! 0.121.0–0.125.0 and 1.0.0–1.5.0 have the cap, 1.6.0 to 2.15.0 do not.
//!
//! `scripts/sdk_check.sh` (run by `.ci/run`) checks this against the real
//! SDK: it installs anthropic 2.15.0 and 0.125.0 from PyPI and compares their
//! decisions on a table of cases with [`SdkVersion::Current`] and
//! [`SdkVersion::Legacy`] (through `examples/sdk_retry_delays.rs`).

use crate::engine::SimTime;

/// `DEFAULT_MAX_RETRIES` in `_constants.py`: three attempts in all.
pub const DEFAULT_MAX_RETRIES: u32 = 2;
/// `INITIAL_RETRY_DELAY` in `_constants.py`, seconds.
pub const INITIAL_RETRY_DELAY: f64 = 0.5;
/// `MAX_RETRY_DELAY` in `_constants.py`, seconds.
pub const MAX_RETRY_DELAY: f64 = 8.0;
/// Longest `retry-after` 0.x honours (`0 < retry_after <= 60`), seconds.
pub const LEGACY_RETRY_AFTER_CAP: f64 = 60.0;
/// The only bound on a server-given delay in 2.x (4,294,967 s, the sleep
/// limit noted in `../shared/anthropic.md` §3.0), seconds.
pub const SLEEP_LIMIT: f64 = 4_294_967.0;

/// Which release line of the Python SDK to reproduce.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SdkVersion {
    /// anthropic 2.x, and 1.x from 1.6.0 (checked: 2.13.0, 2.15.0): any
    /// positive `retry-after` is obeyed.
    #[default]
    Current,
    /// anthropic 0.x and 1.0–1.5 (checked: 0.121.0, 0.125.0): `retry-after`
    /// only if `0 < v <= 60` s.
    Legacy,
}

impl SdkVersion {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            SdkVersion::Current => "current",
            SdkVersion::Legacy => "legacy",
        }
    }
}

/// `_calculate_retry_timeout`: seconds to sleep before the next attempt.
///
/// `retries_taken` is the number of retries already made (0 before the first
/// retry; the SDK computes it as `max_retries - remaining_retries`),
/// `retry_after` the parsed header (`retry-after-ms` / 1000 if present, else
/// `retry-after`), and `u` the SDK's `random()` draw in `[0, 1)`.
pub fn retry_timeout(
    version: SdkVersion,
    retries_taken: u32,
    retry_after: Option<f64>,
    u: f64,
) -> f64 {
    if let Some(v) = usable_retry_after(version, retry_after) {
        return v;
    }
    // "Also cap retry count to 1000 to avoid any potential overflows with `pow`".
    let n = retries_taken.min(1000) as i32;
    let sleep_seconds = (INITIAL_RETRY_DELAY * 2f64.powi(n)).min(MAX_RETRY_DELAY);
    // The code comment says "plus-or-minus half a second"; the code takes off
    // up to 25 %. (For the largest draws below 1 the f64 product rounds to
    // exactly 0.75, so the range is [0.75, 1] of the delay in practice.)
    let jitter = 1.0 - 0.25 * u;
    (sleep_seconds * jitter).max(0.0)
}

/// The server-given delay `_calculate_retry_timeout` obeys, if any: 2.x
/// takes any positive value, 0.x only `0 < v <= 60` s.
pub fn usable_retry_after(version: SdkVersion, retry_after: Option<f64>) -> Option<f64> {
    let v = retry_after?;
    let usable = match version {
        SdkVersion::Current => v > 0.0,
        SdkVersion::Legacy => v > 0.0 && v <= LEGACY_RETRY_AFTER_CAP,
    };
    usable.then_some(v.min(SLEEP_LIMIT))
}

/// `_should_retry`: an explicit `x-should-retry` wins; otherwise 408, 409,
/// 429 and every status from 500 up (including 529) are retried.
pub fn should_retry(x_should_retry: Option<bool>, status: u16) -> bool {
    match x_should_retry {
        Some(v) => v,
        None => matches!(status, 408 | 409 | 429) || status >= 500,
    }
}

/// `_parse_retry_after_header` for the headers the simulator carries (whole
/// numbers): `retry-after-ms` first (even when it is 0, which then falls
/// back to the backoff), then `retry-after`. The client reads every
/// response's `retry-after` through this, whatever its retry policy.
pub fn parse_retry_after(
    retry_after_ms: Option<u64>,
    retry_after_s: Option<u64>,
) -> Option<SimTime> {
    retry_after_ms
        .map(SimTime::from_millis)
        .or(retry_after_s.map(SimTime::from_secs))
}

/// The wait the `sdk_default` retry policy schedules before retry number
/// `retries_taken` (0 for the first retry), given the response's
/// [`parse_retry_after`]: the server's value when the version accepts it,
/// else [`retry_timeout`]'s backoff. `draw` is the SDK's `random()`; like
/// the SDK, this calls it only when it falls back to the backoff.
pub fn retry_delay(
    version: SdkVersion,
    retries_taken: u32,
    retry_after: Option<SimTime>,
    draw: impl FnOnce() -> f64,
) -> SimTime {
    let ra = retry_after.map(SimTime::as_secs_f64);
    let secs = match usable_retry_after(version, ra) {
        Some(v) => v,
        None => retry_timeout(version, retries_taken, None, draw()),
    };
    SimTime::from_secs_f64(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_rules_follow_the_sdk() {
        for s in [408, 409, 429, 500, 502, 503, 529] {
            assert!(should_retry(None, s), "{s}");
        }
        for s in [200, 400, 401, 403, 404, 413, 422] {
            assert!(!should_retry(None, s), "{s}");
        }
        assert!(!should_retry(Some(false), 429));
        assert!(should_retry(Some(true), 400));
    }

    #[test]
    fn retry_after_ms_takes_precedence() {
        let ms = |v| Some(SimTime::from_millis(v));
        assert_eq!(parse_retry_after(Some(1500), Some(30)), ms(1500));
        assert_eq!(parse_retry_after(None, Some(30)), ms(30_000));
        assert_eq!(parse_retry_after(Some(0), Some(30)), ms(0));
        assert_eq!(parse_retry_after(None, None), None);
    }

    #[test]
    fn retry_delay_draws_only_for_the_backoff() {
        let delay = |v, n, ra: Option<SimTime>, u: f64| {
            let mut drew = false;
            let d = retry_delay(v, n, ra, || {
                drew = true;
                u
            });
            (d, drew)
        };
        let secs = SimTime::from_secs;
        let c = SdkVersion::Current;
        let l = SdkVersion::Legacy;
        assert_eq!(delay(c, 0, Some(secs(61)), 0.5), (secs(61), false));
        assert_eq!(delay(l, 0, Some(secs(60)), 0.5), (secs(60), false));
        // Legacy ignores 61 s; both ignore 0 (retry-after-ms "0").
        assert_eq!(
            delay(l, 1, Some(secs(61)), 0.5),
            (SimTime::from_millis(875), true)
        );
        assert_eq!(
            delay(c, 0, Some(SimTime::ZERO), 0.0),
            (SimTime::from_millis(500), true)
        );
        assert_eq!(delay(c, 9, None, 0.0), (secs(8), true));
        // The SDK's sleep limit, in whole nanoseconds.
        assert_eq!(
            delay(c, 0, Some(secs(4_294_968)), 0.5),
            (secs(4_294_967), false)
        );
        // Equal to `retry_timeout`, rounded to the nanosecond.
        let d = delay(c, 1, None, 0.999_999).0;
        assert_eq!(
            d,
            SimTime::from_secs_f64(retry_timeout(c, 1, None, 0.999_999))
        );
        assert_eq!(d, SimTime(750_000_250));
    }

    #[test]
    fn zero_retry_after_falls_back_to_backoff() {
        for v in [SdkVersion::Current, SdkVersion::Legacy] {
            assert_eq!(retry_timeout(v, 0, Some(0.0), 0.0), 0.5);
        }
    }
}
