//! Client strategies: when each attempt is sent and what follows a response.
//!
//! A strategy is a composition of layers, in the spirit of tower middleware:
//! a queue discipline, a concurrency limit, a pacing rule and a retry policy.
//! The named strategies ([`Preset`]) are ready-made compositions a scenario
//! can use as they are or override layer by layer.
//!
//! A strategy sees only what a real client sees: its own queue, the clock and
//! the responses (status, headers, usage). It never reads the server's state.

mod aimd;
mod budget;
mod client;
mod coordination;
mod error;
mod fleet;
mod pacing;
mod presets;
mod retry;
mod routing;
pub mod sdk;
mod throttle;

pub use aimd::{AimdLimit, AimdSpec};
pub use budget::{RetryBudget, RetryBudgetSpec};
pub use client::{Client, ClientRequest, Decision, Poll};
pub use coordination::{Clearance, Coordination, OnOutage, SharedLimiter, SharedLimiterSpec};
pub use error::StrategyError;
pub use fleet::{Balance, Balancer, FleetSpec};
pub use pacing::{Cost, Pacer, PacingSpec};
pub use presets::Preset;
pub use retry::{Backoff, Jitter, RetryPolicy};
pub use routing::{BatchOffload, Route, Router};
pub use sdk::SdkVersion;
pub use throttle::ThrottleWindow;

use crate::engine::SimTime;

/// Where waiting requests line up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QueueDiscipline {
    /// First come, first served (retries keep their original place).
    #[default]
    Fifo,
    /// By priority class, then arrival.
    Priority,
    /// Newest first: under overload the freshest requests, the ones that can
    /// still meet a deadline, go first.
    Lifo,
}

/// How many requests may be in flight at once.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Concurrency {
    /// No limit.
    #[default]
    Unbounded,
    /// A semaphore with this many permits.
    Fixed(u32),
    /// A limit that adapts to 429/529s (Netflix `AIMDLimit`, see [`AimdSpec`]).
    Aimd(AimdSpec),
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
    /// Optional cap on retries as a share of requests (any retry policy).
    pub retry_budget: Option<RetryBudgetSpec>,
    /// Share of each limit (and of the concurrency permits) kept free for the
    /// most important class: lower classes wait while headroom is below it.
    pub background_reserve: f64,
    /// Whether the scenario's `router` applies (fallbacks, spill-over).
    pub routing: bool,
    /// Send eligible (background) requests through the Batch API.
    pub batch_offload: Option<BatchOffload>,
    /// Drop a queued request instead of sending it once it has waited this
    /// long since arrival (it can no longer be useful).
    pub shed_older_than: Option<SimTime>,
    /// How many replicas run the strategy.
    pub fleet: FleetSpec,
    /// How the replicas coordinate.
    pub coordination: Coordination,
}

impl StrategySpec {
    /// Whether the client reads the `anthropic-ratelimit-*` headers (only
    /// header-driven pacing does), so a run can skip producing them.
    pub fn reads_rate_limit_headers(&self) -> bool {
        matches!(self.pacing, PacingSpec::HeaderDriven { .. })
    }

    /// Whether the client ever reads a 429's `retry-after`: its retry
    /// policy honours it (the SDK rule always may), or header-driven pacing
    /// pauses on it. The provider skips working it out otherwise.
    pub fn reads_retry_after(&self) -> bool {
        let policy = match self.retry {
            RetryPolicy::None => false,
            RetryPolicy::FixedDelay {
                honor_retry_after, ..
            } => honor_retry_after,
            RetryPolicy::Backoff(b) => b.honor_retry_after,
            RetryPolicy::SdkDefault { .. } => true,
        };
        policy || self.reads_rate_limit_headers()
    }

    /// A one-line description of the layers, for reports.
    pub fn describe(&self) -> String {
        let queue = match self.queue {
            QueueDiscipline::Fifo => "fifo".to_string(),
            QueueDiscipline::Priority => "priority".to_string(),
            QueueDiscipline::Lifo => "lifo".to_string(),
        };
        let conc = match self.concurrency {
            Concurrency::Unbounded => "unbounded".to_string(),
            Concurrency::Fixed(n) => format!("fixed({n})"),
            Concurrency::Aimd(a) => format!(
                "aimd({}, {}..{}, x{})",
                a.initial, a.min, a.max, a.backoff_ratio
            ),
        };
        let pacing = match self.pacing {
            PacingSpec::None => "none".to_string(),
            PacingSpec::TokenBucket { fraction } => format!("token_bucket({fraction})"),
            PacingSpec::HeaderDriven { .. } => "header_driven".to_string(),
            PacingSpec::AdaptiveThrottle { k, window } => {
                format!("adaptive_throttle(k {k}, {window})")
            }
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
            RetryPolicy::SdkDefault {
                max_retries,
                version,
            } => format!("sdk_default({}, max {max_retries})", version.name()),
        };
        let mut s = format!("queue={queue} concurrency={conc} pacing={pacing} retry={retry}");
        if let Some(b) = self.retry_budget {
            s.push_str(&format!(
                " retry_budget({} per request, {}/s, ttl {})",
                b.ratio, b.min_per_s, b.ttl
            ));
        }
        if self.background_reserve > 0.0 {
            s.push_str(&format!(" reserve={}", self.background_reserve));
        }
        if let Some(t) = self.shed_older_than {
            s.push_str(&format!(" shed(older than {t})"));
        }
        if self.fleet.replicas > 1 {
            s.push_str(&format!(
                " replicas={} ({}{})",
                self.fleet.replicas,
                self.fleet.balance.name(),
                if self.fleet.per_fleet {
                    ", limits per fleet"
                } else {
                    ""
                }
            ));
        }
        if let Coordination::SharedLimiter(l) = &self.coordination {
            s.push_str(&format!(
                " shared_limiter(rtt {}, {}, {} outages, {})",
                l.rtt,
                l.fraction,
                l.outages.len(),
                l.on_outage.name()
            ));
        }
        s
    }

    /// The settings one replica runs with: with `per_fleet`, the pacing
    /// fraction and the fixed or adaptive concurrency cap are divided by the
    /// number of replicas (a cap never below 1).
    pub fn per_replica(&self) -> StrategySpec {
        let n = self.fleet.replicas.max(1);
        let mut s = self.clone();
        if !self.fleet.per_fleet || n == 1 {
            return s;
        }
        if let PacingSpec::TokenBucket { fraction } = s.pacing {
            s.pacing = PacingSpec::TokenBucket {
                fraction: fraction / n as f64,
            };
        }
        let share = |x: u32| (x / n).max(1);
        s.concurrency = match s.concurrency {
            Concurrency::Fixed(c) => Concurrency::Fixed(share(c)),
            Concurrency::Aimd(a) => Concurrency::Aimd(AimdSpec {
                initial: share(a.initial),
                min: share(a.min).min(share(a.max)),
                max: share(a.max),
                ..a
            }),
            c => c,
        };
        s
    }
}
