//! Scenario errors that point at the file, line and column.

use std::fmt;

use serde_saphyr::Location;

pub(crate) use crate::text::snippet::{snippet, source_lines};

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
        ScenarioError::at_position(file, source, loc.line(), loc.column(), message)
    }

    /// An error at 1-based `line` and `col` in `source`.
    pub fn at_position(
        file: &str,
        source: &str,
        line: u64,
        col: u64,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, col) = (line.max(1), col.max(1));
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
        let mut message = strip_positions(
            &message.replace(", set DuplicateKeyPolicy in Options if acceptable", ""),
        );
        if let Some(limit) = budget_message(e) {
            message = limit;
        }
        if message.starts_with("multiple YAML documents detected") {
            message = "a scenario file holds one YAML document; remove the `---` separator".into();
        }
        // Name the offending value for scalar parse errors ("invalid floating
        // point" alone does not say what was read).
        if let Some(loc) = e.location()
            && let Some(expected) = match message.as_str() {
                "invalid floating point" => Some("a number"),
                "invalid integer" | "invalid unsigned integer" => Some("a whole number"),
                "invalid boolean" => Some("true or false"),
                _ => None,
            }
        {
            if let Some(token) = token_at(source, loc.line(), loc.column()) {
                message = format!("{message}: found `{token}`, expected {expected}");
            } else {
                message = format!("{message}: expected {expected}");
            }
        }
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

/// Reads a text file the loader parses (`what` names its kind in errors).
/// Bytes that are not UTF-8 are reported at their line and column, so the
/// user can find them.
pub(crate) fn read_text(path: &std::path::Path, what: &str) -> Result<String, ScenarioError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path)
        .map_err(|e| ScenarioError::whole_file(&file, format!("cannot read {what}: {e}")))?;
    utf8_text(&file, bytes, what)
}

/// The text in `bytes`, or an error at the first byte that is not UTF-8.
pub(crate) fn utf8_text(file: &str, bytes: Vec<u8>, what: &str) -> Result<String, ScenarioError> {
    String::from_utf8(bytes).map_err(|e| {
        let bad = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let before = String::from_utf8_lossy(&bytes[..bad]);
        let (mut line, mut col) = (1u64, 1u64);
        let mut chars = before.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => (line, col) = (line + 1, 1),
                _ => col += 1,
            }
        }
        ScenarioError::at_position(
            file,
            &String::from_utf8_lossy(bytes),
            line,
            col,
            format!(
                "the {what} is not UTF-8 text: byte 0x{:02x} does not belong here; save it as UTF-8",
                bytes[bad]
            ),
        )
    })
}

/// Removes serde-saphyr's ` at line L, column C` phrases: the error's own
/// `file:line:column` already says where.
fn strip_positions(message: &str) -> String {
    const AT: &str = " at line ";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(i) = rest.find(AT) {
        let after = &rest[i + AT.len()..];
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let line = digits(after);
        let tail = after[line..].strip_prefix(", column ");
        match tail {
            Some(tail) if line > 0 && digits(tail) > 0 => {
                out.push_str(&rest[..i]);
                rest = &tail[digits(tail)..];
            }
            _ => {
                out.push_str(&rest[..i + AT.len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Says which of the parser's limits a file broke, in words: the limits
/// guard against alias bombs and runaway files, and a scenario never needs
/// to come near them.
fn budget_message(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::budget::BudgetBreach as B;
    let serde_saphyr::Error::Budget { breach, .. } = e.without_snippet() else {
        return None;
    };
    let what = match breach {
        B::Events { events } => format!("more than {} YAML events", events - 1),
        B::Aliases { aliases } => format!("more than {} aliases (`*name`)", aliases - 1),
        B::Anchors { anchors } => format!("more than {} anchors (`&name`)", anchors - 1),
        B::Depth { depth } => format!("nesting deeper than {} levels", depth - 1),
        B::Nodes { nodes } => format!("more than {} YAML nodes", nodes - 1),
        B::Documents { documents } => format!("more than {} YAML documents", documents - 1),
        other => format!("{other:?}"),
    };
    Some(format!(
        "the file is too large to be a scenario: {what} (a limit that guards against alias bombs)"
    ))
}

/// The scalar starting at `line:col` (up to a YAML delimiter), for messages.
fn token_at(source: &str, line: u64, col: u64) -> Option<String> {
    let text = source_lines(source).nth((line as usize).checked_sub(1)?)?;
    let rest: String = text
        .chars()
        .skip((col as usize).saturating_sub(1))
        .collect();
    let token: String = rest
        .chars()
        .take_while(|c| !matches!(c, ',' | '}' | ']' | '#'))
        .collect::<String>()
        .trim()
        .chars()
        .take(40)
        .collect();
    (!token.is_empty()).then_some(token)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_positions_are_dropped_from_messages() {
        assert_eq!(
            strip_positions("expected mapping start at line 36, column 17"),
            "expected mapping start"
        );
        assert_eq!(
            strip_positions("found `a` at line 2, column 3 while scanning at line 1, column 1"),
            "found `a` while scanning"
        );
        // Not a position: left alone.
        assert_eq!(
            strip_positions("look at line noise at line x"),
            "look at line noise at line x"
        );
    }
}
