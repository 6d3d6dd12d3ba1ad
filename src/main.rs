//! The `ratesim` binary: all the work is in [`ratesim::cli`].
#![deny(clippy::unwrap_used, clippy::expect_used)]

fn main() -> std::process::ExitCode {
    ratesim::cli::main()
}
