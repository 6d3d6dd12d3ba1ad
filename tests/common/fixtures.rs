//! Fixture files and scenarios on disk. Paths are relative to the crate root,
//! which is the working directory of every test and of [`super::cli::ratesim`].

use std::path::{Path, PathBuf};

use ratesim::scenario::Scenario;

/// The small valid scenario most command-line tests run.
pub const GOOD: &str = "tests/fixtures/good.yaml";

/// The crate root, as an absolute path.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `tests/fixtures/NAME`, relative to the crate root.
pub fn fixture(name: &str) -> PathBuf {
    Path::new("tests/fixtures").join(name)
}

/// The text of the file at `path` (relative to the crate root, or absolute).
pub fn read(path: impl AsRef<Path>) -> String {
    let path = root().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Writes an edited copy of the file at `from` (a fixture or a scenario) to
/// `dir/NAME`: `edit` gets the original text and returns the new one.
/// Returns the copy's path.
pub fn scenario_copy(
    dir: &Path,
    name: &str,
    from: impl AsRef<Path>,
    edit: impl FnOnce(String) -> String,
) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, edit(read(from))).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

/// Loads the scenario at `path` (as given, so relative to the crate root),
/// panicking with the error.
pub fn load(path: impl AsRef<Path>) -> Scenario {
    Scenario::load(path.as_ref()).unwrap_or_else(|e| panic!("{e}"))
}
