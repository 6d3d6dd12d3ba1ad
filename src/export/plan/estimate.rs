//! The plan's answer across a request-count estimate, in words: which
//! streams are estimated, and each crossing at the low end, as estimated
//! and at the high end.

use super::{crossing_in, when};
use crate::analysis::plan::{Crossing, DIMS, Plan, RequestSpread, limit_of};
use crate::export::num::trimmed;

/// The estimated streams in words: `` `api` (×1, range ×0.5–×2) ``.
pub(super) fn estimated_words(x: &RequestSpread) -> String {
    x.streams
        .iter()
        .map(|e| {
            format!(
                "`{}` (×{}, range ×{}–×{})",
                e.stream,
                trimmed(e.requests, 3),
                trimmed(e.range[0], 3),
                trimmed(e.range[1], 3)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows of the spread table: pool, dimension, threshold, then the crossing
/// at the low end, as estimated and at the high end.
pub(super) fn spread_rows(p: &Plan, x: &RequestSpread) -> Vec<[String; 6]> {
    let mut rows = Vec::new();
    for (pool, l) in &p.current {
        for (d, dim) in DIMS.iter().enumerate() {
            if limit_of(l, d).is_none() {
                continue;
            }
            for th in [0.8, 1.0] {
                let at = |c: &[Crossing]| crossing_in(c, p.months, pool, dim, th);
                let ends: Vec<String> = x.ends.iter().map(|e| at(&e.crossings)).collect();
                rows.push([
                    pool.clone(),
                    dim.to_uppercase(),
                    format!("{} %", th * 100.0),
                    ends.first().cloned().unwrap_or_default(),
                    at(&p.crossings),
                    ends.get(1).cloned().unwrap_or_default(),
                ]);
            }
        }
    }
    rows
}

/// What binds first at each end of the estimate.
pub(super) fn spread_binds_words(p: &Plan, x: &RequestSpread) -> String {
    x.ends
        .iter()
        .map(|e| {
            let b = match &e.binds_first {
                Some(b) => format!(
                    "{} of {} in {}",
                    b.dimension.to_uppercase(),
                    b.pool,
                    when(b.month, b.calendar.as_deref())
                ),
                None => format!("nothing within {} months", p.months),
            };
            format!("at the {} end {b}", e.end)
        })
        .collect::<Vec<_>>()
        .join("; ")
}
