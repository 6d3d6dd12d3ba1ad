//! ratesim: a deterministic discrete-event simulator for Claude API rate limits.
pub mod cli;
pub mod engine;
pub mod metrics;
pub mod model;
pub mod report;
pub mod scenario;
pub mod sim;
pub mod strategy;
pub mod workload;
