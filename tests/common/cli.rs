//! Running the `ratesim` binary.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin_cmd;

/// How long one run of the binary may take before the test fails instead of
/// hanging. Generous: debug builds on a busy two-core machine are slow.
pub const TIMEOUT: Duration = Duration::from_secs(300);

/// The binary, run from the crate root (so `tests/fixtures/…` and
/// `scenarios/…` resolve as they do for the test itself), with [`TIMEOUT`].
/// Add arguments, or override the directory with `.current_dir(…)`.
pub fn ratesim() -> assert_cmd::Command {
    let mut cmd = cargo_bin_cmd!("ratesim");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).timeout(TIMEOUT);
    cmd
}

/// Runs `cmd`: (exit code, stdout, stderr), lossily decoded. The code is
/// `None` when the process was killed by a signal.
pub fn outcome(cmd: &mut assert_cmd::Command) -> (Option<i32>, String, String) {
    let out = cmd.output().expect("run ratesim");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `ratesim ARGS`: (exit code, stdout, stderr). Asserts nothing.
pub fn run(args: &[&str]) -> (Option<i32>, String, String) {
    outcome(ratesim().args(args))
}

/// Runs `ratesim ARGS` and asserts it succeeded (showing stderr if not).
pub fn run_ok(args: &[&str]) -> Output {
    let out = ratesim().args(args).output().expect("run ratesim");
    assert!(
        out.status.success(),
        "ratesim {args:?} failed ({:?}):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The stdout of a run, which must be UTF-8.
pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

/// `ratesim validate ARGS` from the crate root: (exit code, stdout, stderr).
pub fn validate(args: &[&str]) -> (Option<i32>, String, String) {
    outcome(ratesim().arg("validate").args(args))
}

/// `ratesim validate FILE` run in `dir` (so relative paths in the scenario,
/// and in the messages, are relative to `dir`): (exit code, stdout, stderr).
pub fn validate_in(dir: &Path, file: &str) -> (Option<i32>, String, String) {
    outcome(ratesim().current_dir(dir).args(["validate", file]))
}
