//! Files the CLI writes (and the JSON files it reads back): nothing the
//! user has is overwritten without `--force`, and nothing is left
//! half-written — every file goes to a temporary file in its directory
//! first and is renamed over the target only when complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::analysis::baseline::{BaselineError, BaselineFile};

/// Why an output file could not be written (or a saved file read back).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// The file is there and `--force` was not given.
    #[error("{} already exists; pass --force to replace it", .0.display())]
    Exists(PathBuf),
    /// The directory the file would go into does not exist.
    #[error("cannot write {}: {} is not a directory", .path.display(), .dir.display())]
    NoDirectory {
        /// The file.
        path: PathBuf,
        /// Its directory.
        dir: PathBuf,
    },
    /// The output directory could not be created.
    #[error("cannot create {}: {source}", .path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Writing (or renaming into place) failed.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A JSON file ratesim wrote earlier (a baseline, a sweep shard) is not
    /// what it should be; the message names the file and position.
    #[error(transparent)]
    Read(#[from] crate::report::json::ReadError),
    /// A baseline file that parses but cannot be paired run by run.
    #[error("{}: {source}", .path.display())]
    Baseline {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: BaselineError,
    },
}

/// Refuses to replace any of `files` unless `force`.
pub fn refuse_overwrite(files: &[&Path], force: bool) -> Result<(), OutputError> {
    if force {
        return Ok(());
    }
    match files.iter().find(|f| f.exists()) {
        Some(f) => Err(OutputError::Exists(f.to_path_buf())),
        None => Ok(()),
    }
}

/// Fails, before any simulating, if a file could not be written afterwards:
/// it exists (without `force`), or its directory does not.
pub fn check_file(path: &Path, force: bool) -> Result<(), OutputError> {
    refuse_overwrite(&[path], force)?;
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(OutputError::NoDirectory {
            path: path.to_path_buf(),
            dir: dir.to_path_buf(),
        });
    }
    Ok(())
}

/// Checks that none of `names` exists in `dir` (unless `force`) and
/// creates `dir` (and its parents); returns the files' paths.
pub fn prepare_dir(dir: &Path, names: &[&str], force: bool) -> Result<Vec<PathBuf>, OutputError> {
    let files: Vec<PathBuf> = names.iter().map(|n| dir.join(n)).collect();
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    refuse_overwrite(&refs, force)?;
    create_dir(dir)?;
    Ok(files)
}

/// Creates an output directory (and its parents).
pub fn create_dir(dir: &Path) -> Result<(), OutputError> {
    std::fs::create_dir_all(dir).map_err(|source| OutputError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` atomically: into a temporary file beside it,
/// flushed, then renamed over `path`. A crash or a full disk leaves the old
/// file (or none), never half of the new one.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let fail = |source| OutputError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".ratesim-")
        .suffix(".tmp")
        .tempfile_in(parent(path))
        .map_err(fail)?;
    tmp.write_all(bytes).map_err(fail)?;
    tmp.as_file().sync_all().map_err(fail)?;
    tmp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

/// [`write_bytes`] for text.
pub fn write_text(path: &Path, text: &str) -> Result<(), OutputError> {
    write_bytes(path, text.as_bytes())
}

/// Reads a baseline saved with `simulate --save-baseline`, and warns on
/// stderr when another catalogue made it (its limits or prices may differ,
/// so a "regression" may be the catalogue's, not the change's).
pub fn read_baseline(path: &Path) -> Result<BaselineFile, OutputError> {
    let b: BaselineFile = crate::report::json::read_file(path, "not a ratesim baseline")
        .map_err(OutputError::Read)?;
    b.check().map_err(|source| OutputError::Baseline {
        path: path.to_path_buf(),
        source,
    })?;
    use crate::report::provenance::{catalogue_mismatch, version_difference};
    if let Some(why) = catalogue_mismatch(b.ratesim.as_ref()) {
        eprintln!("warning: {}: {why}", path.display());
    } else if let Some(what) = version_difference(b.ratesim.as_ref()) {
        eprintln!("note: {}: {what}", path.display());
    }
    Ok(b)
}

/// Writes a baseline for a later `compare --against`.
pub fn save_baseline(path: &Path, file: &BaselineFile) -> Result<(), OutputError> {
    write_text(path, &crate::report::json::pretty(file))?;
    eprintln!("wrote baseline {}", path.display());
    Ok(())
}

/// The directory a file is written into (`.` for a bare name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_replace_only_with_force_and_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("report.json");
        write_text(&f, "one").unwrap();
        assert!(matches!(
            refuse_overwrite(&[&f], false),
            Err(OutputError::Exists(_))
        ));
        refuse_overwrite(&[&f], true).unwrap();
        write_text(&f, "two").unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "two");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["report.json"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        // The target is a directory: the rename fails after the temporary
        // file was written, and nothing else changes.
        let target = dir.path().join("out");
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), "x").unwrap();
        assert!(matches!(
            write_text(&target, "new"),
            Err(OutputError::Write { .. })
        ));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(std::fs::read_to_string(target.join("keep")).unwrap(), "x");
    }

    #[test]
    fn a_missing_directory_is_named() {
        let e = check_file(Path::new("/nonexistent-ratesim-dir/x.csv"), false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot write /nonexistent-ratesim-dir/x.csv: /nonexistent-ratesim-dir is not a directory"
        );
    }
}
