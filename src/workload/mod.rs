//! The workload: named streams of logical requests.
//!
//! Every stream draws from its own seeded random streams, so the requests a
//! run sees depend only on the scenario and seed, never on the strategy being
//! simulated (common random numbers).

mod arrivals;
mod dist;
mod error;
mod request;
mod stream;
mod trace;

pub use arrivals::{ArrivalClock, ArrivalProcess, Spike};
pub use dist::{MAX_TOKENS, TokenDist, TokenSampler};
pub use error::WorkloadError;
pub use request::LogicalRequest;
pub use stream::{Popularity, PromptCache, StreamGen, StreamSpec};
pub use trace::{MAX_VOLUME, REQUESTS_RANGE, SPREAD_CAP, Trace, TraceReplay, TraceRow};
