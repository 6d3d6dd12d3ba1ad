//! Numbers in ratesim's JSON: one rounding rule for every floor, so the
//! report, replications, plans and the catalogue round alike.

/// `x` rounded half away from zero to `digits` decimals (negative `digits`
/// rounds to tens, hundreds, …). Non-finite values pass through.
pub fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

#[cfg(test)]
mod tests {
    use super::round;

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
