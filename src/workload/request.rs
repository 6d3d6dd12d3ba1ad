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
    /// Output tokens the model will generate.
    pub output_tokens: u64,
    /// Absolute time after which the client gives up.
    pub deadline: Option<SimTime>,
    /// Workspace whose key the request uses.
    pub workspace: Option<u16>,
}
