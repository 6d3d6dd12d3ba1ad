//! Scenario errors that point at the file, line and column.

use serde_saphyr::Location;

pub(crate) use crate::text::snippet::{snippet, source_lines};
use crate::text::suggest::{self, or_list};

/// What kind of problem a [`ScenarioError`] reports, for callers that want
/// to react to one kind (the message already says everything to a reader).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read (missing, a directory, not UTF-8).
    Read,
    /// Not YAML, or not the shape of a scenario: malformed text, an unknown
    /// field, a wrong type, a duration without a unit.
    Syntax,
    /// A value out of range, or inconsistent with another.
    Invalid,
    /// A name (model, tier, class, preset, workspace, pool, column …) that is
    /// not one of the known ones.
    UnknownName {
        /// The name as written.
        name: String,
        /// Known names close to it, closest first.
        did_you_mean: Vec<String>,
    },
    /// A usage trace's header or a row is wrong.
    Trace,
}

/// A scenario (or a trace it names) that could not be read, parsed or
/// validated, located at `file:line:column` with the offending line.
///
/// Displays as `file:line:col: message` followed by the caret snippet.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}", render(.file, *.position, .message, .snippet.as_deref()))]
pub struct ScenarioError {
    /// The file (as the user named it).
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(u64, u64)>,
    /// What was wrong and what was expected.
    pub message: String,
    /// The offending source line with a caret, when known.
    pub snippet: Option<String>,
    /// What kind of problem this is (boxed: errors travel in `Result`s and
    /// should stay small).
    pub kind: Box<ErrorKind>,
}

/// Something valid that is probably not what the author meant; same shape
/// as an error (`file:line:col: message` and a snippet).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
#[error("{}", render(.file, *.position, .message, .snippet.as_deref()))]
pub struct Warning {
    /// The file (as the user named it).
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(u64, u64)>,
    /// What looks wrong, and its consequence.
    pub message: String,
    /// The line with a caret, when known.
    pub snippet: Option<String>,
}

impl Warning {
    /// A warning about the value at `loc` in `source`.
    pub(crate) fn at(
        file: &str,
        source: &str,
        loc: Location,
        message: impl Into<String>,
    ) -> Warning {
        let (line, col) = (loc.line().max(1), loc.column().max(1));
        Warning {
            file: file.to_string(),
            position: Some((line, col)),
            message: message.into(),
            snippet: snippet(source, line, col),
        }
    }

    /// A warning about a whole file (a trace, say).
    pub(crate) fn whole_file(file: &str, message: impl Into<String>) -> Warning {
        Warning {
            file: file.to_string(),
            position: None,
            message: message.into(),
            snippet: None,
        }
    }
}

/// `file:line:col: message` and the snippet on the lines below.
fn render(
    file: &str,
    position: Option<(u64, u64)>,
    message: &str,
    snippet: Option<&str>,
) -> String {
    let mut out = match position {
        Some((l, c)) => format!("{file}:{l}:{c}: {message}"),
        None => format!("{file}: {message}"),
    };
    if let Some(s) = snippet {
        out.push('\n');
        out.push_str(s);
    }
    out
}

/// A strategy the command line asked for by name that the scenario does not
/// have and no preset provides (see [`super::Scenario::strategy_named`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StrategyLookupError {
    /// Neither a strategy of the scenario nor a preset.
    #[error(
        "no strategy or preset `{name}` (the scenario has: {}; presets: {}){}",
        .scenario.join(", "),
        .presets.join(", "),
        did_you_mean_suffix(.did_you_mean)
    )]
    Unknown {
        /// The name asked for.
        name: String,
        /// The scenario's strategies, in file order.
        scenario: Vec<String>,
        /// Every preset name.
        presets: Vec<&'static str>,
        /// Names close to it, closest first.
        did_you_mean: Vec<String>,
    },
    /// A preset that needs the Batch API in a scenario without Batch limits.
    #[error(
        "preset `{name}` offloads to the Batch API, but profile `{tier}` publishes no Batch \
         limits; add a `batch:` block to the scenario"
    )]
    NeedsBatch {
        /// The preset.
        name: String,
        /// The scenario's tier.
        tier: String,
    },
}

fn did_you_mean_suffix(close: &[String]) -> String {
    if close.is_empty() {
        return String::new();
    }
    let quoted: Vec<String> = close.iter().map(|c| format!("`{c}`")).collect();
    format!("; did you mean {}?", or_list(&quoted))
}

impl ScenarioError {
    /// An error without a position (the file itself is the problem).
    pub fn whole_file(file: &str, kind: ErrorKind, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: file.to_string(),
            position: None,
            message: message.into(),
            snippet: None,
            kind: Box::new(kind),
        }
    }

    /// An error at `loc` in `source`.
    pub fn at(
        file: &str,
        source: &str,
        loc: Location,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> ScenarioError {
        ScenarioError::at_position(file, source, loc.line(), loc.column(), kind, message)
    }

    /// An error at 1-based `line` and `col` in `source`.
    pub fn at_position(
        file: &str,
        source: &str,
        line: u64,
        col: u64,
        kind: ErrorKind,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, col) = (line.max(1), col.max(1));
        ScenarioError {
            file: file.to_string(),
            position: Some((line, col)),
            message: message.into(),
            snippet: snippet(source, line, col),
            kind: Box::new(kind),
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
        // A stream-level key written under `arrivals:`, after the process:
        // the enum's map has a second key.
        if let Some(loc) = e.location()
            && message.starts_with("expected end of mapping after enum variant value")
            && let Some(token) = token_at(source, loc.line(), loc.column())
            && let Some(key) = token.split(':').next().map(str::trim)
            && STREAM_KEYS.contains(&key)
        {
            message = format!(
                "`{key}` is a stream-level key: write it beside `arrivals:` (at the same \
                 indentation), not under it"
            );
        }
        let mut kind = ErrorKind::Syntax;
        if let Some((name, close, more)) = unknown_name_help(&message) {
            message.push_str(&more);
            kind = ErrorKind::UnknownName {
                name,
                did_you_mean: close,
            };
        }
        match e.location() {
            Some(loc) if !source.trim().is_empty() => {
                ScenarioError::at(file, source, loc, kind, message)
            }
            _ if source.trim().is_empty() => ScenarioError::whole_file(
                file,
                kind,
                "scenario is empty: expected a YAML mapping with name, duration and streams",
            ),
            _ => ScenarioError::whole_file(file, kind, message),
        }
    }
}

/// Reads a text file the loader parses (`what` names its kind in errors).
/// Bytes that are not UTF-8 are reported at their line and column, so the
/// user can find them.
pub(crate) fn read_text(path: &std::path::Path, what: &str) -> Result<String, ScenarioError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        ScenarioError::whole_file(&file, ErrorKind::Read, format!("cannot read {what}: {e}"))
    })?;
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
            ErrorKind::Read,
            format!(
                "the {what} is not UTF-8 text: byte 0x{:02x} does not belong here; save it as UTF-8",
                bytes[bad]
            ),
        )
    })
}

/// Keys that belong beside `arrivals:` in a stream, not under it.
const STREAM_KEYS: [&str; 4] = ["spikes", "trace", "deadline", "max_tokens"];

/// For serde's "unknown field `x`, expected one of a, b" and "unknown variant
/// `x`, expected …": the name, the close candidates and the text to append
/// ("did you mean", or where a stream-level key belongs).
fn unknown_name_help(message: &str) -> Option<(String, Vec<String>, String)> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (name, rest) = rest.split_once('`')?;
    let expected = rest.split_once("expected ").map_or("", |x| x.1);
    let expected = expected.strip_prefix("one of ").unwrap_or(expected);
    let known: Vec<&str> = expected
        .split([',', ' '])
        .map(|w| w.trim_matches('`'))
        .filter(|w| !w.is_empty() && *w != "or")
        .collect();
    let arrivals = ["poisson", "constant", "bursts", "diurnal", "none"];
    let close: Vec<String> = suggest::did_you_mean(name, known.iter().copied())
        .into_iter()
        .map(str::to_string)
        .collect();
    let more = if STREAM_KEYS.contains(&name) && arrivals.iter().all(|a| known.contains(a)) {
        format!(
            "; `{name}` is a stream-level key: write it beside `arrivals:` (at the same \
             indentation), not under it"
        )
    } else {
        did_you_mean_suffix(&close)
    };
    Some((name.to_string(), close, more))
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
