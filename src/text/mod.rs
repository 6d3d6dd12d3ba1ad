//! Text helpers every floor above shares: source snippets with a caret, and
//! "did you mean" suggestions. Pure functions on strings; no I/O.

pub mod snippet;
pub mod suggest;
