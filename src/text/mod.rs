//! Text helpers every floor above shares: source snippets with a caret,
//! "did you mean" suggestions and the JSON rounding rule. Pure functions;
//! no I/O.

pub mod num;
pub mod snippet;
pub mod suggest;
