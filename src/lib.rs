//! ratesim: a deterministic discrete-event simulator for Claude API rate limits.
pub mod engine;
pub mod model;
