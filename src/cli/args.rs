//! Argument parsers and flag groups shared by the subcommands.

use crate::engine::SimTime;

/// Parses `5%` or `0.05`.
pub fn parse_fraction(s: &str) -> Result<f64, String> {
    let (num, scale) = match s.trim().strip_suffix('%') {
        Some(n) => (n, 0.01),
        None => (s.trim(), 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a number or percentage"))?;
    if !(v.is_finite() && v >= 0.0) {
        return Err(format!("`{s}` must be >= 0"));
    }
    Ok(v * scale)
}

/// `--duration`: the scenario file's spelling and bounds. Shared by every
/// command that runs a scenario, so a quick look at a shorter horizon reads
/// the same everywhere.
pub fn parse_duration(s: &str) -> Result<SimTime, String> {
    let d = humantime::parse_duration(s.trim())
        .map_err(|e| format!("{e}; expected e.g. `90m`, `12h`, `30d`"))?;
    let d = SimTime(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    if d == SimTime::ZERO || d > crate::scenario::MAX_DURATION {
        return Err("must be > 0 and at most 366 days".into());
    }
    Ok(d)
}
