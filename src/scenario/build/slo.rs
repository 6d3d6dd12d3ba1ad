//! `start:` and `slo:`: the calendar date at simulated time zero, and the
//! service level each class is held to.

use std::collections::BTreeMap;

use jiff::civil::{Date, DateTime, Time};
use serde_saphyr::Spanned;

use crate::engine::SimTime;
use crate::metrics::{Slo, SloRule};
use crate::scenario::duration;
use crate::scenario::raw::{RawSlo, RawSloClass};
use crate::scenario::{Cx, ScenarioError};

/// Share of judged requests an SLO holds when `attainment:` is not given.
pub const DEFAULT_ATTAINMENT: f64 = 0.99;

/// `start:`: a date (`2026-10-01`), a civil date-time (`2026-10-01T09:00`)
/// or an RFC 3339 instant (`2026-10-01T09:00:00Z`, read in UTC).
pub(in crate::scenario) fn start(
    cx: &Cx,
    raw: Option<&Spanned<String>>,
) -> Result<Option<DateTime>, ScenarioError> {
    let Some(s) = raw else { return Ok(None) };
    let t = s.value.trim();
    if let Ok(d) = t.parse::<Date>() {
        return Ok(Some(d.to_datetime(Time::midnight())));
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return Ok(Some(jiff::tz::Offset::UTC.to_datetime(ts)));
    }
    if let Ok(dt) = t.parse::<DateTime>() {
        return Ok(Some(dt));
    }
    Err(cx.err(
        &s.referenced,
        format!(
            "start: expected a date such as 2026-10-01 or an RFC 3339 time such as \
             2026-10-01T09:00:00Z, found `{t}`"
        ),
    ))
}

/// Time of day of `start` (the offset `by:` rules count from).
pub(in crate::scenario) fn start_offset(start: Option<DateTime>) -> SimTime {
    start.map_or(SimTime::ZERO, |dt| {
        let t = dt.time();
        SimTime(
            (t.hour() as u64 * 3600 + t.minute() as u64 * 60 + t.second() as u64)
                * SimTime::NANOS_PER_SEC
                + t.subsec_nanosecond() as u64,
        )
    })
}

/// `slo:`: a default rule for every class, per-class rules under
/// `classes:`, and the share to hold (`attainment:`, default 99 %).
pub(in crate::scenario) fn slo(
    cx: &Cx,
    raw: Option<&Spanned<RawSlo>>,
    classes: &[String],
    offset: SimTime,
) -> Result<Option<Slo>, ScenarioError> {
    let Some(raw) = raw else { return Ok(None) };
    let r = &raw.value;
    let default = rule(cx, r.latency.as_ref(), r.by.as_ref(), offset, "slo")?;
    let mut rules = vec![default; classes.len()];
    check_classes(cx, &r.classes, classes)?;
    for (name, c) in &r.classes {
        let i = classes.iter().position(|k| k == name).unwrap_or(0);
        rules[i] = class_rule(cx, name, c, offset)?;
    }
    let attainment = match &r.attainment {
        Some(a) if a.value.0 > 0.0 && a.value.0 <= 1.0 => a.value.0,
        Some(a) => {
            return Err(cx.err(
                &a.referenced,
                format!(
                    "slo.attainment must be a share above 0 and at most 100%, found {}",
                    a.value.0
                ),
            ));
        }
        None => DEFAULT_ATTAINMENT,
    };
    if rules.iter().all(Option::is_none) {
        return Err(cx.err(
            &raw.referenced,
            "slo: no class is judged: give `latency:` or `by:` (for every class) \
             or a rule under `classes:`",
        ));
    }
    Ok(Some(Slo { rules, attainment }))
}

fn check_classes(
    cx: &Cx,
    raw: &BTreeMap<String, Spanned<RawSloClass>>,
    classes: &[String],
) -> Result<(), ScenarioError> {
    for (name, c) in raw {
        if !classes.iter().any(|k| k == name) {
            return Err(cx.unknown(
                &c.referenced,
                name,
                classes.iter().map(String::as_str),
                format!(
                    "slo.classes: no stream has class `{name}` (classes: {})",
                    classes.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn class_rule(
    cx: &Cx,
    name: &str,
    c: &Spanned<RawSloClass>,
    offset: SimTime,
) -> Result<Option<SloRule>, ScenarioError> {
    let v = &c.value;
    if v.exclude == Some(true) {
        if v.latency.is_some() || v.by.is_some() {
            return Err(cx.err(
                &c.referenced,
                format!("slo.classes.{name}: `exclude: true` takes no `latency:` or `by:`"),
            ));
        }
        return Ok(None);
    }
    let what = format!("slo.classes.{name}");
    match rule(cx, v.latency.as_ref(), v.by.as_ref(), offset, &what)? {
        Some(r) => Ok(Some(r)),
        None => Err(cx.err(
            &c.referenced,
            format!(
                "{what}: expected `latency: 30s`, `latency: none`, `by: \"06:00\"` \
                 or `exclude: true`"
            ),
        )),
    }
}

/// `latency: 30s` / `latency: none` / `by: "06:00"` (at most one).
fn rule(
    cx: &Cx,
    latency: Option<&Spanned<String>>,
    by: Option<&Spanned<String>>,
    offset: SimTime,
    what: &str,
) -> Result<Option<SloRule>, ScenarioError> {
    match (latency, by) {
        (Some(_), Some(b)) => Err(cx.err(
            &b.referenced,
            format!("{what}: give `latency:` or `by:`, not both"),
        )),
        (Some(l), None) => {
            let t = l.value.trim();
            if t == "none" {
                return Ok(Some(SloRule::Succeeds));
            }
            match duration::parse(t) {
                Ok(d) if d > SimTime::ZERO => Ok(Some(SloRule::Within(d))),
                Ok(_) => Err(cx.err(&l.referenced, format!("{what}.latency must be > 0"))),
                Err(e) => Err(cx.err(
                    &l.referenced,
                    format!("{what}.latency: {e} (or `none`: any success counts)"),
                )),
            }
        }
        (None, Some(b)) => {
            let t = b.value.trim();
            match time_of_day(t) {
                Some(tod) => Ok(Some(SloRule::By {
                    time_of_day: tod,
                    start_offset: offset,
                })),
                None => Err(cx.err(
                    &b.referenced,
                    format!("{what}.by: expected a time of day such as \"06:00\", found `{t}`"),
                )),
            }
        }
        (None, None) => Ok(None),
    }
}

/// One rule as written on a command line: `30s`, `none` (any success),
/// `by:06:00`, or `exclude` (`Ok(None)`).
pub fn parse_rule(text: &str, offset: SimTime) -> Result<Option<SloRule>, String> {
    let t = text.trim();
    if t == "exclude" {
        return Ok(None);
    }
    if t == "none" {
        return Ok(Some(SloRule::Succeeds));
    }
    if let Some(tod) = t.strip_prefix("by:").or_else(|| t.strip_prefix("by ")) {
        return time_of_day(tod.trim())
            .map(|time_of_day| {
                Some(SloRule::By {
                    time_of_day,
                    start_offset: offset,
                })
            })
            .ok_or_else(|| {
                format!("expected a time of day after `by:`, such as by:06:00, found `{tod}`")
            });
    }
    match duration::parse(t) {
        Ok(d) if d > SimTime::ZERO => Ok(Some(SloRule::Within(d))),
        Ok(_) => Err("a latency target must be > 0".to_string()),
        Err(e) => Err(format!(
            "{e}; a rule is a latency (30s), `none` (any success), `by:06:00` or `exclude`"
        )),
    }
}

/// `HH:MM` (or `HH:MM:SS`) as time from midnight.
fn time_of_day(s: &str) -> Option<SimTime> {
    let t: Time = s.parse().ok()?;
    Some(SimTime(
        (t.hour() as u64 * 3600 + t.minute() as u64 * 60 + t.second() as u64)
            * SimTime::NANOS_PER_SEC,
    ))
}
