//! `overload:`: 529 `overloaded_error` episodes, independent of the limits.

use super::distributions::check_probability;
use crate::engine::SimTime;
use crate::model::{Overload, OverloadEpisodes, OverloadWindow};
use crate::scenario::raw::RawOverload;
use crate::scenario::{Cx, ScenarioError};

pub(in crate::scenario) fn overload(
    cx: &Cx,
    raw: Option<&RawOverload>,
) -> Result<Overload, ScenarioError> {
    let mut overload = Overload::default();
    let Some(o) = raw else {
        return Ok(overload);
    };
    if let Some(p) = &o.probability {
        check_probability(cx, p.value, &p.referenced, "overload.probability")?;
        overload.probability = p.value;
    }
    if let Some(p) = &o.mid_stream {
        check_probability(cx, p.value, &p.referenced, "overload.mid_stream")?;
        overload.mid_stream = p.value;
    }
    if let Some(e) = &o.episodes {
        let v = &e.value;
        check_probability(
            cx,
            v.probability,
            &e.referenced,
            "overload.episodes.probability",
        )?;
        if v.mean_interval.0 == SimTime::ZERO || v.mean_duration.0 == SimTime::ZERO {
            return Err(cx.err(
                &e.referenced,
                "overload.episodes: mean_interval and mean_duration must be > 0",
            ));
        }
        overload.episodes = Some(OverloadEpisodes {
            mean_interval: v.mean_interval.0,
            mean_duration: v.mean_duration.0,
            probability: v.probability,
        });
    }
    for w in &o.windows {
        let v = &w.value;
        check_probability(
            cx,
            v.probability,
            &w.referenced,
            "overload window probability",
        )?;
        if v.end.0 <= v.start.0 {
            return Err(cx.err(&w.referenced, "overload window must end after it starts"));
        }
        overload.windows.push(OverloadWindow {
            start: v.start.0,
            end: v.end.0,
            probability: v.probability,
        });
    }
    Ok(overload)
}
