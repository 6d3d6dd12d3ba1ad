//! CSV: the report as one row per strategy and class (plus an `all` row per
//! strategy), and the per-bucket time series. Stable column order, a header
//! row, unformatted numbers (the JSON report's values).

use std::fmt::Write;

use crate::metrics::Series;
use crate::model::Dimension;
use crate::report::{Outcome, ReplicaReport, Report};

/// Columns of [`to_csv`], in order.
pub const REPORT_COLUMNS: [&str; 40] = [
    "strategy",
    "class",
    "requests",
    "succeeded",
    "failed",
    "failed_gave_up",
    "failed_deadline",
    "failed_too_large",
    "failed_unfinished",
    "failed_batch_expired",
    "failed_spend_limit",
    "failed_shed",
    "attempts",
    "rate_limited_total",
    "rate_limited_rpm",
    "rate_limited_itpm",
    "rate_limited_otpm",
    "rate_limited_tpm",
    "rate_limited_concurrency",
    "rate_limited_acceleration",
    "rate_limited_spend",
    "rate_limited_by_workspace_cap",
    "overloaded",
    "overloaded_mid_stream",
    "throttled_locally",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "latency_p999_ms",
    "latency_max_ms",
    "queue_wait_ms",
    "routed_away",
    "goodput_per_min",
    "cost_usd",
    "slo_attainment",
    "tokens_input",
    "tokens_output",
    "tokens_cache_read",
    "tokens_cache_write",
    "tokens_cache_write_1h",
];

/// Columns of [`timeseries_csv`], in order.
pub const TIMESERIES_COLUMNS: [&str; 18] = [
    "strategy",
    "pool",
    "t_start_s",
    "bucket_s",
    "attempts",
    "requests",
    "input_tokens",
    "output_tokens",
    "in_flight_peak",
    "rate_limited_rpm",
    "rate_limited_itpm",
    "rate_limited_otpm",
    "rate_limited_tpm",
    "rate_limited_concurrency",
    "rate_limited_acceleration",
    "rate_limited_spend",
    "overloaded",
    "queue_peak",
];

/// A field, quoted when it holds a comma, a quote or a line break.
pub(crate) fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn outcome_row(out: &mut String, strategy: &str, class: &str, o: &Outcome) {
    let l = &o.latency_ms;
    let f = &o.failures;
    let r = &o.rate_limited;
    let t = &o.tokens;
    let ints = [
        o.requests,
        o.succeeded,
        o.failed,
        f.gave_up,
        f.deadline,
        f.too_large,
        f.unfinished,
        f.batch_expired,
        f.spend_limit,
        f.shed,
        o.attempts,
        r.total,
        r.rpm,
        r.itpm,
        r.otpm,
        r.tpm,
        r.concurrency,
        r.acceleration,
        r.spend,
        r.by_workspace_cap,
        o.overloaded,
        o.overloaded_mid_stream,
        o.throttled_locally,
    ];
    let _ = write!(out, "{},{}", field(strategy), field(class));
    for v in ints {
        let _ = write!(out, ",{v}");
    }
    // An empty metric (no successes) is an empty cell.
    for v in [l.p50, l.p90, l.p99, l.p999, l.max] {
        out.push(',');
        if let Some(v) = v {
            let _ = write!(out, "{v}");
        }
    }
    out.push(',');
    if let Some(w) = o.queue_wait_ms {
        let _ = write!(out, "{w}");
    }
    let _ = write!(out, ",{}", o.routed_away);
    let _ = write!(out, ",{},{}", o.goodput_per_min, o.cost_usd);
    // Empty without an `slo:` or when nothing judged arrived.
    out.push(',');
    if let Some(Some(a)) = o.slo_attainment {
        let _ = write!(out, "{a}");
    }
    for v in [
        t.input,
        t.output,
        t.cache_read,
        t.cache_write,
        t.cache_write_1h,
    ] {
        let _ = write!(out, ",{v}");
    }
    out.push('\n');
}

/// The report as CSV: per strategy, an `all` row (its totals) and then one
/// row per class in name order (the JSON report's `by_class`); for a fleet,
/// then one row per replica (class `replica:N`) with the counts a replica
/// keeps (requests, succeeded, failed, attempts, 429s, p99) and the other
/// cells empty.
pub fn to_csv(report: &Report) -> String {
    let mut out = REPORT_COLUMNS.join(",");
    out.push('\n');
    for r in &report.results {
        outcome_row(&mut out, &r.strategy, "all", &r.total);
        for (class, o) in &r.by_class {
            outcome_row(&mut out, &r.strategy, class, o);
        }
        for x in &r.by_replica {
            replica_row(&mut out, &r.strategy, x);
        }
    }
    out
}

fn replica_row(out: &mut String, strategy: &str, x: &ReplicaReport) {
    let mut cells = vec![String::new(); REPORT_COLUMNS.len()];
    let mut set = |column: &str, v: String| {
        if let Some(i) = REPORT_COLUMNS.iter().position(|c| *c == column) {
            cells[i] = v;
        }
    };
    set("strategy", field(strategy));
    set("class", format!("replica:{}", x.replica));
    set("requests", x.requests.to_string());
    set("succeeded", x.succeeded.to_string());
    set("failed", (x.requests - x.succeeded).to_string());
    set("attempts", x.attempts.to_string());
    set("rate_limited_total", x.rate_limited.to_string());
    if let Some(p) = x.p99_ms {
        set("latency_p99_ms", p.to_string());
    }
    out.push_str(&cells.join(","));
    out.push('\n');
}

/// The per-bucket series as CSV: per strategy, per pool that serves a model
/// of the scenario, one row per bucket. `series` follows `report.results`.
/// Counts are per bucket; `in_flight_peak` and `queue_peak` are peaks within
/// it; `queue_peak` is the client's whole queue (all pools), so it repeats
/// on every pool's row.
pub fn timeseries_csv(report: &Report, series: &[&Series]) -> String {
    let mut out = TIMESERIES_COLUMNS.join(",");
    out.push('\n');
    for (r, s) in report.results.iter().zip(series) {
        let w = s.width().as_secs_f64();
        for (p, pool) in report.pools.iter().enumerate() {
            if pool.models.is_empty() || p >= s.pools() {
                continue;
            }
            for i in 0..s.len() {
                let b = s.pool(i, p);
                let _ = write!(
                    out,
                    "{},{},{},{},{},{},{},{},{}",
                    field(&r.strategy),
                    field(&pool.name),
                    s.start(i).as_secs_f64(),
                    w,
                    b.attempts,
                    b.requests,
                    b.input_tokens,
                    b.output_tokens,
                    b.in_flight_peak
                );
                for d in Dimension::ALL {
                    let _ = write!(out, ",{}", b.rate_limited[d.index()]);
                }
                let _ = writeln!(out, ",{},{}", b.overloaded, s.queue_peak(i));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(field("bucket-70"), "bucket-70");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn timeseries_columns_follow_the_dimensions() {
        for (i, d) in Dimension::ALL.iter().enumerate() {
            assert_eq!(
                TIMESERIES_COLUMNS[9 + i],
                format!("rate_limited_{}", d.name())
            );
        }
    }
}
