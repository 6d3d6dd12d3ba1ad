//! Why a strategy layer's settings are refused.

use crate::engine::SimTime;

/// A strategy layer merged from a preset and a scenario's overrides with a
/// value the layer cannot run with. The scenario loader points this message
/// at the layer's YAML.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StrategyError {
    /// Adaptive throttling's multiplier on accepts must be positive, or
    /// every request is rejected locally.
    #[error("pacing.adaptive_throttle.k must be > 0, got {0}")]
    ThrottleK(f64),
    /// Adaptive throttling's window outside 1 s..=1 h: shorter windows
    /// react to single responses, longer ones hold state for too long.
    #[error("pacing.adaptive_throttle.window must be from 1s to 1h, got {0}")]
    ThrottleWindow(SimTime),
    /// A retry budget's ratio outside 0..=1000 retries per request.
    #[error("retry_budget.ratio must be between 0 and 1000, got {0}")]
    BudgetRatio(f64),
    /// A retry budget's reserve outside 0..=1,000,000 retries a second.
    #[error("retry_budget.min_per_s must be between 0 and 1000000, got {0}")]
    BudgetMinPerS(f64),
    /// A retry budget's window that is not 1 to 60 whole seconds (the
    /// budget keeps one slot per second).
    #[error("retry_budget.ttl must be a whole number of seconds from 1s to 60s, got {0}")]
    BudgetTtl(SimTime),
    /// AIMD bounds out of order (`1 <= min <= initial <= max`).
    #[error(
        "concurrency.aimd needs 1 <= min <= initial <= max, got min {min}, initial {initial}, max {max}"
    )]
    AimdBounds {
        /// Smallest limit.
        min: u32,
        /// Starting limit.
        initial: u32,
        /// Largest limit.
        max: u32,
    },
    /// An AIMD back-off ratio outside [0.5, 1): below, one 429 halves the
    /// limit more than once; at 1, it never backs off.
    #[error("concurrency.aimd.backoff_ratio must be in [0.5, 1), got {0}")]
    AimdBackoffRatio(f64),
}
