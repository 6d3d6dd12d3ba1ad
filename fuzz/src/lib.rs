//! What the fuzz targets assert about an error, beyond "no panic": it names
//! the file and, when it has a position, that position lies in the text
//! (the line exists, or is the one just past the end; the column is at most
//! one past the line's last character). tests/scenario_mutations.rs checks
//! the same, and more, on the stable toolchain.

use ratesim::scenario::ScenarioError;

/// Panics (so the fuzzer reports the input) if `e`, an error about `file`
/// whose text is `text`, is not located inside it.
pub fn check_located(e: &ScenarioError, file: &str, text: &str) {
    if e.file != file {
        // About another file (a trace the scenario names): not this text.
        return;
    }
    let Some((line, col)) = e.position else {
        return;
    };
    // Lines as the loaders count them: a lone CR breaks one too.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        line >= 1 && col >= 1 && line <= lines.len() as u64 + 1,
        "{e}: line outside the text ({} lines)",
        lines.len()
    );
    if let Some(l) = lines.get(line as usize - 1) {
        let width = l.chars().count() as u64;
        assert!(col <= width + 1, "{e}: column past the end of the line");
    }
}
