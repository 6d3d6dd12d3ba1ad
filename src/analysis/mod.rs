//! Answers computed from simulations, as data: replications and their
//! intervals, paired comparisons and the gate's verdict, baselines,
//! assertion verdicts, sweeps and capacity plans. Nothing here prints,
//! writes files or reads the clock; `export` renders these results and
//! `cli` runs them.

pub mod baseline;
pub mod checks;
pub mod compare;
pub mod gate;
pub mod plan;
pub mod replicate;
pub mod sweep;
