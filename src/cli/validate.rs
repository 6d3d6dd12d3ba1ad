//! `ratesim validate`: check scenario files without running them.

use std::path::PathBuf;

use super::CliError;
use crate::scenario::Scenario;

/// Loads every file; exit 2 if any is invalid.
pub fn run(files: &[PathBuf]) -> Result<(), CliError> {
    let mut bad = 0;
    for f in files {
        match Scenario::load(f) {
            Ok(s) => {
                super::args::warn(&s);
                println!(
                    "{}: ok ({}, {})",
                    f.display(),
                    plural(s.sim.streams.len(), "stream"),
                    plural(s.strategies.len(), "strategy")
                );
            }
            Err(e) => {
                eprintln!("error: {e}");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        Err(CliError::Usage(format!(
            "{bad} of {} scenario(s) invalid",
            files.len()
        )))
    } else {
        Ok(())
    }
}

fn plural(n: usize, word: &str) -> String {
    match (n, word.strip_suffix('y')) {
        (1, _) => format!("1 {word}"),
        (_, Some(stem)) => format!("{n} {stem}ies"),
        _ => format!("{n} {word}s"),
    }
}
