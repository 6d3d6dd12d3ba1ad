//! Numbers in ratesim's JSON: one rounding rule for every floor, so the
//! report, replications, plans and the catalogue round alike.

/// `x` rounded half away from zero to `digits` decimals (negative `digits`
/// rounds to tens, hundreds, …). Non-finite values pass through.
pub fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// A share written as a percentage (`99%`, `2.5%`) or a fraction (`0.99`);
/// never negative.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    let (num, per) = match s.trim().strip_suffix('%') {
        Some(n) => (n, 100.0),
        None => (s.trim(), 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number or percentage"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("`{s}` must be >= 0"));
    }
    Ok(v / per)
}

#[cfg(test)]
mod tests {
    use super::{parse_fraction, round};

    #[test]
    fn fractions_read_as_percentages_or_plain_numbers() {
        assert_eq!(parse_fraction("99%").unwrap(), 0.99);
        assert_eq!(parse_fraction("0.5").unwrap(), 0.5);
        assert!(parse_fraction("-1%").is_err());
        assert!(parse_fraction("ninety").is_err());
    }

    #[test]
    fn rounds_half_away_from_zero_at_any_place() {
        assert_eq!(round(2.5, 0), 3.0);
        assert_eq!(round(-2.5, 0), -3.0);
        assert_eq!(round(1.23456, 3), 1.235);
        assert_eq!(round(0.123_45, 4), 0.1235);
        assert_eq!(round(1234.0, -2), 1200.0);
        assert!(round(f64::NAN, 3).is_nan());
    }
}
