//! ratesim: a deterministic discrete-event simulator for Claude API rate limits.
//!
//! A scenario describes an organisation's limits, its traffic and the client
//! strategies to compare; ratesim replays the same logical requests against
//! each strategy and measures 429s (by dimension), latency, goodput and cost.
//!
//! ```
//! use ratesim::scenario::Scenario;
//! use ratesim::sim;
//!
//! let yaml = r#"
//! name: doc-example
//! duration: 10m
//! tier: tier1
//! streams:
//!   - name: chat
//!     model: claude-sonnet-4-5
//!     arrivals: {poisson: {rate_per_min: 30}}
//!     input_tokens: 500
//!     output_tokens: 100
//! strategies: [exponential_backoff]
//! "#;
//! let scenario = Scenario::from_yaml_str("example.yaml", yaml).unwrap();
//! let metrics = sim::run(&scenario.sim, &scenario.strategies[0]).unwrap();
//! let total = metrics.total();
//! assert_eq!(total.requests, total.succeeded + total.failed_total());
//! ```
//!
//! The modules are floors; each imports only from the floors below it
//! (`docs/architecture.md` draws them):
//!
//! - [`text`], [`path`], [`assertions`], [`engine`]: pure helpers and the
//!   generic event loop, which knows nothing of Anthropic;
//! - [`model`] (the provider), then [`workload`], [`strategy`] and
//!   [`metrics`], wired for one run by [`sim`]; strategies see responses and
//!   headers, never the provider's buckets;
//! - [`scenario`] (YAML in, validated [`scenario::Scenario`] out) and
//!   [`report`] (what a run measured, as data);
//! - [`analysis`]: replications, comparisons and the gate's verdict,
//!   baselines, sweeps and plans, as data;
//! - [`export`] (text, JSON, Markdown, CSV) and [`charts`] (PNG bytes);
//! - [`cli`]: the only floor that reads the wall clock, prints or writes
//!   files.
#![warn(missing_docs)]
// Panics are bugs: errors propagate; the few `expect`s that guard
// invariants carry an `allow` and an `// Invariant:` comment saying why.
#![deny(clippy::unwrap_used, clippy::expect_used)]

pub mod analysis;
pub mod assertions;
pub mod charts;
pub mod cli;
pub mod engine;
pub mod export;
pub mod import;
pub mod metrics;
pub mod model;
pub mod path;
pub mod report;
pub mod scenario;
pub mod serve;
pub mod sim;
pub mod strategy;
pub mod text;
pub mod workload;
