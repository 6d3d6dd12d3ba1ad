//! What a serving session saw, as data: counts, latency percentiles and the
//! client's retry pattern, for the summary the CLI prints and `--out` saves.

use serde::Serialize;

use super::record::{AttemptRecord, RetryPattern, retry_pattern};
use super::stats::Totals;

/// The end-of-session summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Simulated seconds served.
    pub simulated_s: f64,
    /// Wall seconds served.
    pub wall_s: f64,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Counts.
    pub totals: Totals,
    /// Latency of successful attempts, simulated milliseconds: p50, p90, p99, max.
    pub latency_ms: Option<[f64; 4]>,
    /// How the client retried.
    pub retries: RetryPattern,
}

/// The `q`-quantile (nearest rank) of sorted `v`.
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// Summarises a session from its counters and every attempt it judged.
pub fn summarise(
    records: &[AttemptRecord],
    totals: Totals,
    simulated_s: f64,
    wall_s: f64,
    speed: f64,
) -> Summary {
    let mut lat: Vec<f64> = records
        .iter()
        .filter(|r| r.attempt.status == 200)
        .map(|r| r.attempt.latency_ms)
        .collect();
    lat.sort_by(f64::total_cmp);
    Summary {
        simulated_s,
        wall_s,
        speed,
        totals,
        latency_ms: (!lat.is_empty()).then(|| {
            [
                quantile(&lat, 0.5),
                quantile(&lat, 0.9),
                quantile(&lat, 0.99),
                lat[lat.len() - 1],
            ]
        }),
        retries: retry_pattern(records),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), 5.0);
        assert_eq!(quantile(&v, 0.9), 9.0);
        assert_eq!(quantile(&v, 0.99), 10.0);
        assert_eq!(quantile(&[], 0.5), 0.0);
    }
}
