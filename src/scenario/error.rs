//! Scenario errors that point at the file, line and column.

use std::fmt;

use serde_saphyr::Location;

/// A scenario that could not be read, parsed or validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file (as the user named it).
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(u64, u64)>,
    /// What was wrong and what was expected.
    pub message: String,
    /// The offending source line with a caret, when known.
    pub snippet: Option<String>,
}

impl ScenarioError {
    /// An error without a position (the file itself is the problem).
    pub fn whole_file(file: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: file.to_string(),
            position: None,
            message: message.into(),
            snippet: None,
        }
    }

    /// An error at `loc` in `source`.
    pub fn at(
        file: &str,
        source: &str,
        loc: Location,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, col) = (loc.line().max(1), loc.column().max(1));
        ScenarioError {
            file: file.to_string(),
            position: Some((line, col)),
            message: message.into(),
            snippet: snippet(source, line, col),
        }
    }

    /// Converts a parse error from serde-saphyr.
    pub fn from_yaml(file: &str, source: &str, e: &serde_saphyr::Error) -> ScenarioError {
        let text = e.to_string();
        // serde-saphyr renders "error: line L column C: message\n --> snippet";
        // keep only the message, we draw our own snippet.
        let first = text.lines().next().unwrap_or_default();
        let first = first.strip_prefix("error: ").unwrap_or(first);
        let message = match first.find(": ") {
            Some(i) if first.starts_with("line ") => &first[i + 2..],
            _ => first,
        };
        let message = message
            .replace(", set DuplicateKeyPolicy in Options if acceptable", "")
            .replace(" at line 1, column 1", "");
        match e.location() {
            Some(loc) if !source.trim().is_empty() => ScenarioError::at(file, source, loc, message),
            _ if source.trim().is_empty() => ScenarioError::whole_file(
                file,
                "scenario is empty: expected a YAML mapping with name, duration and streams",
            ),
            _ => ScenarioError::whole_file(file, message),
        }
    }
}

fn snippet(source: &str, line: u64, col: u64) -> Option<String> {
    let text = source.lines().nth(line as usize - 1)?;
    let gutter = line.to_string().len();
    let caret = " ".repeat(col as usize - 1);
    Some(format!(
        "{:gutter$} |\n{line} | {text}\n{:gutter$} | {caret}^",
        "", ""
    ))
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((l, c)) => write!(f, "{}:{}:{}: {}", self.file, l, c, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let Some(s) = &self.snippet {
            write!(f, "\n{s}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
