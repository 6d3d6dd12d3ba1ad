//! Client strategies: when each attempt is sent and what follows a response.
//!
//! A strategy is a composition of layers, in the spirit of tower middleware:
//! a queue discipline, a concurrency limit, a pacing rule and a retry policy.
//! The named strategies ([`Preset`]) are ready-made compositions a scenario
//! can use as they are or override layer by layer.
//!
//! A strategy sees only what a real client sees: its own queue, the clock and
//! the responses (status, headers, usage). It never reads the server's state.

mod client;
mod pacing;
mod presets;
mod retry;

pub use client::{Client, ClientRequest, Decision, Poll};
pub use pacing::{Cost, Pacer, PacingSpec};
pub use presets::Preset;
pub use retry::{Backoff, Jitter, RetryPolicy};

/// Where waiting requests line up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueDiscipline {
    /// First come, first served (retries keep their original place).
    #[default]
    Fifo,
    /// By priority class, then arrival.
    Priority,
}

/// How many requests may be in flight at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Concurrency {
    /// No limit.
    #[default]
    Unbounded,
    /// A semaphore with this many permits.
    Fixed(u32),
}

/// A complete client strategy.
#[derive(Clone, Debug, PartialEq)]
pub struct StrategySpec {
    /// Name shown in reports.
    pub name: String,
    /// The preset it started from, if any.
    pub preset: Option<Preset>,
    /// Queue layer.
    pub queue: QueueDiscipline,
    /// Concurrency layer.
    pub concurrency: Concurrency,
    /// Pacing layer.
    pub pacing: PacingSpec,
    /// Retry layer.
    pub retry: RetryPolicy,
    /// Share of each limit (and of the concurrency permits) kept free for the
    /// most important class: lower classes wait while headroom is below it.
    pub background_reserve: f64,
}

impl StrategySpec {
    /// A one-line description of the layers, for reports.
    pub fn describe(&self) -> String {
        let queue = match self.queue {
            QueueDiscipline::Fifo => "fifo".to_string(),
            QueueDiscipline::Priority => "priority".to_string(),
        };
        let conc = match self.concurrency {
            Concurrency::Unbounded => "unbounded".to_string(),
            Concurrency::Fixed(n) => format!("fixed({n})"),
        };
        let pacing = match self.pacing {
            PacingSpec::None => "none".to_string(),
            PacingSpec::TokenBucket { fraction } => format!("token_bucket({fraction})"),
            PacingSpec::HeaderDriven { .. } => "header_driven".to_string(),
        };
        let retry = match self.retry {
            RetryPolicy::None => "none".to_string(),
            RetryPolicy::FixedDelay {
                delay, max_retries, ..
            } => format!("fixed_delay({delay}, max {max_retries})"),
            RetryPolicy::Backoff(b) => format!(
                "backoff({}..{}, max {}, {} jitter{})",
                b.base,
                b.cap,
                b.max_retries,
                b.jitter.name(),
                if b.honor_retry_after {
                    ", retry-after"
                } else {
                    ""
                }
            ),
        };
        let mut s = format!("queue={queue} concurrency={conc} pacing={pacing} retry={retry}");
        if self.background_reserve > 0.0 {
            s.push_str(&format!(" reserve={}", self.background_reserve));
        }
        s
    }
}
