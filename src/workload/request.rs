//! One logical request: what the user wants done, as a stream (drawn or
//! replayed) hands it to the simulation.

use crate::engine::SimTime;
use crate::model::CachePrefix;

/// One logical request: what the user wants done.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogicalRequest {
    /// Index of the stream that produced it.
    pub stream: u16,
    /// Priority class.
    pub class: u8,
    /// Model index.
    pub model: u16,
    /// Arrival time.
    pub arrival: SimTime,
    /// Uncached input tokens.
    pub input_tokens: u64,
    /// Input tokens read from the cache (if it hits).
    pub cache_read_tokens: u64,
    /// Input tokens written to the cache (if it misses).
    pub cache_write_tokens: u64,
    /// A prefix whose hit or miss the server decides.
    pub prefix: Option<CachePrefix>,
    /// `max_tokens`.
    pub max_tokens: u64,
    /// Output tokens the model will generate (at most `max_tokens`).
    pub output_tokens: u64,
    /// The response stops at `max_tokens` (`stop_reason: "max_tokens"`): the
    /// model would have generated more, and `output_tokens` is the cut
    /// length. Drawn requests: the drawn length exceeds `max_tokens`; trace
    /// rows: the row records its `max_tokens` and generated exactly that.
    pub truncated: bool,
    /// Absolute time after which the client gives up.
    pub deadline: Option<SimTime>,
    /// Workspace whose key the request uses.
    pub workspace: Option<u16>,
}
