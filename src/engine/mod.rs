//! A generic discrete-event core: an integer-nanosecond clock and a queue of
//! events ordered by `(time, sequence)`.
//!
//! It knows nothing about rate limits or clients. Ties are broken by the order
//! in which events were scheduled, so a run is identical on every machine.

mod queue;
mod time;

pub use queue::{EventId, EventQueue};
pub use time::SimTime;
