//! Joining `sweep --shard I/N` reports into the whole sweep.

use super::{Point, SweepReport};

/// Why shard reports cannot be merged into one sweep.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MergeError {
    /// No shard given.
    #[error("merge needs at least one shard file")]
    NoShards,
    /// Shards of different sweeps (grid, seed, strategy, metric, …).
    #[error("the shard files come from different sweeps (definitions differ)")]
    DifferentSweeps,
    /// Shards run by different ratesim versions or catalogues: their points
    /// may not be comparable.
    #[error(
        "the shard files were made by different ratesim builds ({first} and {other}); rerun every shard with one"
    )]
    DifferentBuilds {
        /// The first shard's `ratesim --version`, in words.
        first: String,
        /// Another shard's.
        other: String,
    },
    /// A point in two shards (the same shard given twice, or shards of
    /// different `--shard I/N` splits).
    #[error("the same point appears in more than one shard")]
    Duplicate,
    /// A point index outside the sweep's grid (an edited file).
    #[error("a shard has point {index}, but the sweep has only {points} points (0..{points})")]
    OutOfRange {
        /// The point's index.
        index: usize,
        /// Points in the grid.
        points: usize,
    },
    /// Points no shard holds: a shard was left out.
    #[error(
        "{} of {points} points are missing (e.g. {}); merge every shard",
        .points - .present,
        join(.examples)
    )]
    Missing {
        /// Points in the grid.
        points: usize,
        /// Points the shards hold.
        present: usize,
        /// The first (up to ten) missing indices.
        examples: Vec<usize>,
    },
}

fn join(indices: &[usize]) -> String {
    let s: Vec<String> = indices.iter().map(usize::to_string).collect();
    s.join(", ")
}

/// Joins shard reports into the report of the whole sweep.
pub fn merge(shards: Vec<SweepReport>) -> Result<SweepReport, MergeError> {
    let Some(first) = shards.first() else {
        return Err(MergeError::NoShards);
    };
    let def = first.definition.clone();
    let mut points: Vec<Point> = Vec::new();
    for s in &shards {
        if s.definition != def {
            return Err(MergeError::DifferentSweeps);
        }
        if s.ratesim != first.ratesim {
            let words = |p: &Option<crate::report::Provenance>| {
                p.as_ref()
                    .map_or("a ratesim that did not record its version".into(), |p| {
                        p.line()
                    })
            };
            return Err(MergeError::DifferentBuilds {
                first: words(&first.ratesim),
                other: words(&s.ratesim),
            });
        }
        points.extend(s.points.iter().cloned());
    }
    points.sort_by_key(|p| p.index);
    let before = points.len();
    points.dedup_by_key(|p| p.index);
    if points.len() != before {
        return Err(MergeError::Duplicate);
    }
    let want = def.points();
    if let Some(p) = points.iter().find(|p| p.index >= want) {
        return Err(MergeError::OutOfRange {
            index: p.index,
            points: want,
        });
    }
    if points.len() != want {
        let have: std::collections::BTreeSet<usize> = points.iter().map(|p| p.index).collect();
        return Err(MergeError::Missing {
            points: want,
            present: points.len(),
            examples: (0..want).filter(|i| !have.contains(i)).take(10).collect(),
        });
    }
    let mut r = SweepReport {
        schema_version: 1,
        ratesim: first.ratesim.clone(),
        definition: def,
        shard: None,
        points,
        best: None,
    };
    r.rank();
    Ok(r)
}
