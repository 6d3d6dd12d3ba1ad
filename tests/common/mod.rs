//! Helpers shared by the integration tests: one way to run the binary
//! ([`cli`]), to find, edit and load fixtures ([`fixtures`]), to run a
//! strategy through the library ([`sim`]), and the proptest configuration
//! ([`props`]). Each test file says `mod common;` and uses what it needs.

// Every test binary compiles this module but uses a different subset of it.
#![allow(dead_code)]

pub mod cli;
pub mod fixtures;
pub mod props;
pub mod serve;
pub mod shell;
pub mod sim;

// `common::repeatable(…)`, as the property tests have always said it.
#[allow(unused_imports)]
pub use props::repeatable;
