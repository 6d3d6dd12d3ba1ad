//! The provider model: what Anthropic enforces.
//!
//! Limiters (token bucket, sliding and fixed window), pools of models that
//! share limits, rate-limit headers, latency, overload and the catalogue of
//! models, limits and prices. Every function takes the current time as an
//! argument; nothing here reads a clock or knows about client strategies.

pub mod acceleration;
pub mod batch;
pub mod bucket;
pub mod cache;
pub mod catalog;
pub mod headers;
pub mod limiter;
pub mod pool;
pub mod provider;
pub mod spend;
pub mod window;

pub use acceleration::{AccelerationGuard, AccelerationLimit};
pub use batch::{BatchApi, BatchConfig, BatchSubmit};
pub use cache::{CachePrefix, CacheTtl, PromptCacheStore};
pub use headers::{LimitHeader, RateLimitHeaders};
pub use limiter::{Algorithm, Limiter, Need};
pub use pool::{
    AdmitWhen, Bursts, CapacityFloor, Demand, Dimension, LimiterConfig, OtpmAccounting, Oversized,
    Pool, PoolLimits, Verdict,
};
pub use provider::{
    Attempt, Latency, ModelSpec, Overload, OverloadEpisodes, OverloadWindow, Provider,
    ProviderConfig, Response, Status, Usage, WorkspaceSpec,
};
pub use spend::{SpendLimit, SpendLimitKind, SpendMeter};
