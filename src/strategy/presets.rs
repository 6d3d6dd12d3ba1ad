use super::{
    AimdSpec, Backoff, BatchOffload, Concurrency, Coordination, FleetSpec, Jitter, PacingSpec,
    QueueDiscipline, RetryBudgetSpec, RetryPolicy, SdkVersion, StrategySpec, sdk,
};
use crate::engine::SimTime;

/// The named strategies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Preset {
    /// Resend on 429 after a fixed delay (default 0), up to 10 retries.
    NaiveRetry,
    /// Exponential backoff with full jitter, honouring `retry-after`.
    ExponentialBackoff,
    /// Client-side buckets at 80 % of the tier limits, plus backoff.
    TokenBucket,
    /// Paces from `remaining`/`reset`/`retry-after` headers, plus backoff.
    HeaderDriven,
    /// Priority queue (by class, then arrival) with a built-in cap of 16
    /// requests in flight, token-bucket pacing at 90 % of the limits, and 30 %
    /// of each limit (and of the 16 permits) kept free for the most important
    /// class, so background work waits when headroom is low. Override the cap
    /// with `concurrency: {fixed: N}`.
    PriorityQueue,
    /// A fixed cap on concurrent requests plus backoff (the seeds' first fix).
    Semaphore,
    /// What the official Python SDK does out of the box: no client-side
    /// limits, at most 2 retries after 0.5–8 s or the server's `retry-after`.
    SdkDefault,
    /// An adaptive concurrency limit (AIMD on 429/529) plus backoff.
    Aimd,
    /// Google SRE client-side throttling plus backoff.
    AdaptiveThrottle,
    /// Exponential backoff whose retries are capped by a tower-style budget.
    RetryBudget,
    /// Background classes (every class after the first) are sent through the
    /// Message Batches API (the Batch API: its own limits, half price, up to
    /// 24 h turnaround), collected into batches of up to 10,000 requests
    /// flushed every 10 minutes; the most important class uses the Messages
    /// API with backoff. Needs Batch API limits (the tier's, or `batch:`).
    BatchOffload,
}

impl Preset {
    /// Every preset, in report order.
    pub const ALL: [Preset; 11] = [
        Preset::NaiveRetry,
        Preset::ExponentialBackoff,
        Preset::TokenBucket,
        Preset::HeaderDriven,
        Preset::PriorityQueue,
        Preset::Semaphore,
        Preset::SdkDefault,
        Preset::Aimd,
        Preset::AdaptiveThrottle,
        Preset::RetryBudget,
        Preset::BatchOffload,
    ];

    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            Preset::NaiveRetry => "naive_retry",
            Preset::ExponentialBackoff => "exponential_backoff",
            Preset::TokenBucket => "token_bucket",
            Preset::HeaderDriven => "header_driven",
            Preset::PriorityQueue => "priority_queue",
            Preset::Semaphore => "semaphore",
            Preset::SdkDefault => "sdk_default",
            Preset::Aimd => "aimd",
            Preset::AdaptiveThrottle => "adaptive_throttle",
            Preset::RetryBudget => "retry_budget",
            Preset::BatchOffload => "batch_offload",
        }
    }

    /// Parses a scenario spelling.
    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The preset's layers.
    pub fn spec(self) -> StrategySpec {
        let backoff = RetryPolicy::Backoff(Backoff {
            base: SimTime::from_secs(1),
            cap: SimTime::from_secs(60),
            max_retries: 8,
            jitter: Jitter::Full,
            honor_retry_after: true,
        });
        let base = StrategySpec {
            name: self.name().to_string(),
            preset: Some(self),
            queue: QueueDiscipline::Fifo,
            concurrency: Concurrency::Unbounded,
            pacing: PacingSpec::None,
            retry: backoff,
            retry_budget: None,
            background_reserve: 0.0,
            routing: true,
            batch_offload: None,
            shed_older_than: None,
            fleet: FleetSpec::default(),
            coordination: Coordination::None,
        };
        match self {
            Preset::NaiveRetry => StrategySpec {
                retry: RetryPolicy::FixedDelay {
                    delay: SimTime::ZERO,
                    max_retries: 10,
                    honor_retry_after: false,
                },
                ..base
            },
            Preset::ExponentialBackoff => base,
            Preset::TokenBucket => StrategySpec {
                pacing: PacingSpec::TokenBucket { fraction: 0.8 },
                ..base
            },
            Preset::HeaderDriven => StrategySpec {
                pacing: PacingSpec::HeaderDriven { safety_tokens: 500 },
                ..base
            },
            Preset::PriorityQueue => StrategySpec {
                queue: QueueDiscipline::Priority,
                concurrency: Concurrency::Fixed(16),
                pacing: PacingSpec::TokenBucket { fraction: 0.9 },
                background_reserve: 0.3,
                ..base
            },
            Preset::Semaphore => StrategySpec {
                concurrency: Concurrency::Fixed(5),
                ..base
            },
            Preset::SdkDefault => StrategySpec {
                retry: RetryPolicy::SdkDefault {
                    max_retries: sdk::DEFAULT_MAX_RETRIES,
                    version: SdkVersion::Current,
                },
                ..base
            },
            Preset::Aimd => StrategySpec {
                concurrency: Concurrency::Aimd(AimdSpec::default()),
                ..base
            },
            Preset::AdaptiveThrottle => StrategySpec {
                pacing: PacingSpec::AdaptiveThrottle {
                    k: PacingSpec::THROTTLE_K,
                    window: PacingSpec::THROTTLE_WINDOW,
                },
                ..base
            },
            Preset::RetryBudget => StrategySpec {
                retry_budget: Some(RetryBudgetSpec::default()),
                ..base
            },
            Preset::BatchOffload => StrategySpec {
                batch_offload: Some(BatchOffload::default()),
                ..base
            },
        }
    }
}
