//! Number formatting.

/// A mean or interval: one decimal from 100 up, three below.
pub fn num(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}

/// Like [`num`], with a `+` on positive values.
pub fn signed(x: f64) -> String {
    let s = num(x);
    if x > 0.0 { format!("+{s}") } else { s }
}
