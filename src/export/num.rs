//! The one number formatter of every rendering (tables, Markdown, chart
//! labels): thousands separated, latencies in a unit that keeps them short,
//! and a mean with its interval printed to the digits the interval
//! supports. CSV and JSON carry raw numbers and do not use it.

/// What an empty metric (no samples) prints as in tables and Markdown.
pub const EMPTY: &str = "–";

/// Inserts `,` every three digits of the integer part of a plain decimal
/// (`-1234.5` → `-1,234.5`).
fn group(s: &str) -> String {
    let (sign, rest) = match s.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", s),
    };
    let (int, frac) = match rest.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (rest, None),
    };
    let mut out = String::from(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// Drops the sign of a value that prints as zero (`-0.00` → `0.00`).
fn unsigned_zero(s: String) -> String {
    match s.strip_prefix('-') {
        Some(r) if r.chars().all(|c| c == '0' || c == '.') => r.to_string(),
        _ => s,
    }
}

/// A count: `1234567` → `1,234,567`.
pub fn int(n: u64) -> String {
    group(&n.to_string())
}

/// `x` with exactly `decimals` decimals, thousands separated.
pub fn fixed(x: f64, decimals: usize) -> String {
    group(&unsigned_zero(format!("{x:.decimals$}")))
}

/// `x` with at most `decimals` decimals, trailing zeros dropped, thousands
/// separated (axis labels: `15`, `0.5`, `1,234,567.89`).
pub fn trimmed(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    group(&unsigned_zero(s))
}

/// A share as a percentage with `decimals` decimals (`0.153` → `15%`).
pub fn pct(share: f64, decimals: usize) -> String {
    format!("{}%", fixed(share * 100.0, decimals))
}

/// Units a duration is printed in, by size: `(name, milliseconds per unit,
/// decimals, printed values up to)`.
const UNITS: [(&str, f64, usize, f64); 4] = [
    ("ms", 1.0, 0, 10_000.0),
    ("s", 1_000.0, 1, 100.0),
    ("min", 60_000.0, 1, 100.0),
    ("h", 3_600_000.0, 1, f64::INFINITY),
];

/// The unit for a duration of `ms` milliseconds: below 10 s in ms, below
/// 100 s in s, below 100 min in min, then h (decided on the printed value,
/// so 9,999.6 ms is `10.0 s`, not `10,000 ms`).
fn unit_for(ms: f64) -> (&'static str, f64, usize) {
    for (name, per, decimals, below) in UNITS {
        let shown = crate::text::num::round(ms.abs() / per, decimals as i32);
        if shown < below {
            return (name, per, decimals);
        }
    }
    ("h", 3_600_000.0, 1)
}

/// A latency given in milliseconds, in ms, s, min or h: `3,772 ms`,
/// `58.6 s`, `9.2 min`, `8.7 h`.
pub fn duration_ms(ms: f64) -> String {
    if !ms.is_finite() {
        return EMPTY.to_string();
    }
    let (name, per, decimals) = unit_for(ms);
    format!("{} {name}", fixed(ms / per, decimals))
}

/// [`duration_ms`] of a metric that may be empty (printed [`EMPTY`]).
pub fn opt_duration_ms(ms: Option<f64>) -> String {
    ms.map_or_else(|| EMPTY.to_string(), duration_ms)
}

/// The decimal place an interval of half-width `half` supports: the
/// half-width rounded to two significant figures (negative: tens,
/// hundreds…). `None` for a zero or non-finite half-width.
pub fn ci_decimals(half: f64) -> Option<i32> {
    if !(half.is_finite() && half > 0.0) {
        return None;
    }
    let mut e = half.log10().floor() as i32;
    // Guard log10's last bit at exact powers of ten.
    if 10f64.powi(e + 1) <= half {
        e += 1;
    } else if 10f64.powi(e) > half {
        e -= 1;
    }
    let d = 1 - e;
    // 9.96 rounds to 10: two significant figures are then one place up.
    if crate::text::num::round(half, d) >= 10f64.powi(e + 1) {
        Some(d - 1)
    } else {
        Some(d)
    }
}

/// `x` rounded to `decimals` places (negative: tens, hundreds…), printed
/// with as many decimals, thousands separated.
fn at_place(x: f64, decimals: i32) -> String {
    fixed(
        crate::text::num::round(x, decimals),
        decimals.max(0) as usize,
    )
}

/// Like [`at_place`], with `+` on values that do not print as zero.
fn signed_at_place(x: f64, decimals: i32) -> String {
    let s = at_place(x, decimals);
    if x > 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        format!("+{s}")
    } else {
        s
    }
}

/// A mean and the half-width of its interval, to the digits the interval
/// supports: the half-width to two significant figures, the mean to the
/// same place (`2582.0 ± 58.552` → `2,582 ± 59`). A zero half-width prints
/// `± 0` after the mean to at most three decimals; a NaN mean (no samples)
/// prints [`EMPTY`].
pub fn mean_ci(mean: f64, half: f64) -> String {
    if !mean.is_finite() {
        return EMPTY.to_string();
    }
    match ci_decimals(half) {
        Some(d) => format!("{} ± {}", at_place(mean, d), at_place(half, d)),
        None => format!("{} ± 0", trimmed(mean, 3)),
    }
}

/// A paired difference with its interval, signed, to the digits the
/// interval supports: `+17 [-26, +60]`.
pub fn signed_ci(mean: f64, half: f64) -> String {
    if !mean.is_finite() {
        return EMPTY.to_string();
    }
    match ci_decimals(half) {
        Some(d) => format!(
            "{} [{}, {}]",
            signed_at_place(mean, d),
            signed_at_place(mean - half, d),
            signed_at_place(mean + half, d)
        ),
        None => {
            let m = trimmed(mean, 3);
            let m = if mean > 0.0 && m != "0" {
                format!("+{m}")
            } else {
                m
            };
            format!("{m} [{m}, {m}]")
        }
    }
}

/// [`mean_ci`] of a duration in milliseconds, in the unit the larger end
/// of the interval calls for: `9.2 ± 2.8 min`.
pub fn duration_ci(mean_ms: f64, half_ms: f64) -> String {
    if !mean_ms.is_finite() {
        return EMPTY.to_string();
    }
    let (name, per, _) = unit_for(mean_ms.abs() + half_ms.abs());
    format!("{} {name}", mean_ci(mean_ms / per, half_ms / per))
}

/// [`signed_ci`] of a duration difference in milliseconds, in one unit.
pub fn signed_duration_ci(mean_ms: f64, half_ms: f64) -> String {
    if !mean_ms.is_finite() {
        return EMPTY.to_string();
    }
    let (name, per, _) = unit_for(mean_ms.abs() + half_ms.abs());
    format!("{} {name}", signed_ci(mean_ms / per, half_ms / per))
}

/// Whether a metric path holds a duration in milliseconds
/// (`latency_ms.p99`, `queue_wait_ms`, `by_class.x.latency_ms.p50`).
pub fn is_duration_ms(metric: &str) -> bool {
    metric.split('.').any(|p| p.ends_with("_ms"))
}

/// [`mean_ci`], or [`duration_ci`] when `metric` is a duration.
pub fn metric_ci(metric: &str, mean: f64, half: f64) -> String {
    if is_duration_ms(metric) {
        duration_ci(mean, half)
    } else {
        mean_ci(mean, half)
    }
}

/// [`signed_ci`], or [`signed_duration_ci`] when `metric` is a duration.
pub fn metric_signed_ci(metric: &str, mean: f64, half: f64) -> String {
    if is_duration_ms(metric) {
        signed_duration_ci(mean, half)
    } else {
        signed_ci(mean, half)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_fixed_decimals_are_thousands_separated() {
        assert_eq!(int(0), "0");
        assert_eq!(int(999), "999");
        assert_eq!(int(1000), "1,000");
        assert_eq!(int(31_457_280), "31,457,280");
        assert_eq!(fixed(14.67771, 4), "14.6777");
        assert_eq!(fixed(12_345.5, 2), "12,345.50");
        assert_eq!(fixed(-1_500.0, 0), "-1,500");
        assert_eq!(fixed(-0.0001, 2), "0.00");
        assert_eq!(pct(0.153, 0), "15%");
        assert_eq!(pct(123.45, 0), "12,345%");
    }

    #[test]
    fn trimmed_numbers_read_well() {
        assert_eq!(trimmed(30_000.0, 0), "30,000");
        assert_eq!(trimmed(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(trimmed(0.5, 2), "0.5");
        assert_eq!(trimmed(15.0, 2), "15");
        assert_eq!(trimmed(-0.0001, 2), "0");
        assert_eq!(trimmed(-1500.0, 0), "-1,500");
        assert_eq!(trimmed(999.0, 0), "999");
    }

    #[test]
    fn durations_pick_a_unit_that_keeps_them_short() {
        let cases = [
            (0.0, "0 ms"),
            (3_772.4, "3,772 ms"),
            (9_999.4, "9,999 ms"),
            (9_999.6, "10.0 s"),
            (58_612.0, "58.6 s"),
            (99_940.0, "99.9 s"),
            (99_960.0, "1.7 min"),
            (111_300.0, "1.9 min"),
            (554_522.0, "9.2 min"),
            (5_990_000.0, "99.8 min"),
            (5_998_000.0, "1.7 h"),
            (31_457_280.0, "8.7 h"),
            (3_600_000.0 * 12_345.0, "12,345.0 h"),
        ];
        for (ms, want) in cases {
            assert_eq!(duration_ms(ms), want, "{ms} ms");
        }
        assert_eq!(opt_duration_ms(None), "–");
        assert_eq!(duration_ms(f64::NAN), "–");
    }

    /// The rule, case by case: the half-width to two significant figures,
    /// the mean to the same decimal place.
    #[test]
    fn a_mean_prints_to_the_digits_its_interval_supports() {
        let cases = [
            (2582.0, 58.552, "2,582 ± 59"),
            (0.0, 0.0, "0 ± 0"),
            (1559.7, 73.286, "1,560 ± 73"),
            (5112.3, 1279.6, "5,100 ± 1,300"),
            (6.366, 0.570, "6.37 ± 0.57"),
            (25.994, 1.221, "26.0 ± 1.2"),
            (15.0, 50.239, "15 ± 50"),
            (41.987, 133.9, "40 ± 130"),
            (0.123_456, 0.001_234, "0.1235 ± 0.0012"),
            (99.0, 9.96, "99 ± 10"),
            (1_000.4, 0.0, "1,000.4 ± 0"),
            (1_559.666_666, 0.0, "1,559.667 ± 0"),
            (-3.21, 0.456, "-3.21 ± 0.46"),
            (f64::NAN, f64::NAN, "–"),
        ];
        for (mean, half, want) in cases {
            assert_eq!(mean_ci(mean, half), want, "{mean} ± {half}");
        }
        assert_eq!(ci_decimals(100.0), Some(-1));
        assert_eq!(ci_decimals(1000.0), Some(-2));
        assert_eq!(ci_decimals(0.01), Some(3));
        assert_eq!(ci_decimals(0.0), None);
    }

    #[test]
    fn differences_are_signed_and_share_the_interval_place() {
        assert_eq!(signed_ci(17.067, 43.268), "+17 [-26, +60]");
        assert_eq!(signed_ci(-15.0, 50.239), "-15 [-65, +35]");
        assert_eq!(signed_ci(0.0, 0.0), "0 [0, 0]");
        assert_eq!(signed_ci(0.979, 0.339), "+0.98 [+0.64, +1.32]");
    }

    #[test]
    fn durations_with_intervals_share_one_unit() {
        assert_eq!(duration_ci(554_521.9, 169_563.2), "9.2 ± 2.8 min");
        assert_eq!(duration_ci(2939.6, 171.5), "2,940 ± 170 ms");
        assert_eq!(duration_ci(0.0, 0.0), "0 ± 0 ms");
        assert_eq!(
            signed_duration_ci(417_529.9, 158_137.5),
            "+7.0 [+4.3, +9.6] min"
        );
        assert!(is_duration_ms("latency_ms.p99"));
        assert!(is_duration_ms("queue_wait_ms"));
        assert!(!is_duration_ms("cost_usd"));
        assert_eq!(metric_ci("cost_usd", 2.174, 0.094), "2.174 ± 0.094");
    }
}
