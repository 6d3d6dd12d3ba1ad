//! Files the CLI reads and writes besides scenarios: nothing the user has
//! is overwritten without `--force`.

use std::path::Path;

use crate::analysis::baseline::BaselineFile;

/// Refuses to replace any of `files` unless `force`: nothing the user has is
/// overwritten without asking.
pub fn refuse_overwrite(files: &[&Path], force: bool) -> Result<(), String> {
    if force {
        return Ok(());
    }
    match files.iter().find(|f| f.exists()) {
        Some(f) => Err(format!(
            "{} already exists; pass --force to replace it",
            f.display()
        )),
        None => Ok(()),
    }
}

/// Creates an output directory (and its parents).
pub fn create_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

/// Writes a text file, naming it in the error.
pub fn write_text(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Reads a baseline saved with `simulate --save-baseline`.
pub fn read_baseline(path: &Path) -> Result<BaselineFile, String> {
    let b: BaselineFile = crate::report::json::read_file(path, "not a ratesim baseline")?;
    b.check().map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(b)
}

/// Writes a baseline for a later `compare --against`.
pub fn save_baseline(path: &Path, file: &BaselineFile) -> Result<(), String> {
    write_text(path, &crate::report::json::pretty(file))?;
    eprintln!("wrote baseline {}", path.display());
    Ok(())
}
