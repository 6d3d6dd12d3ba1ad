//! What can go wrong: a [`ParseError`] (the text is not an assertion), an
//! [`EvalError`] (no verdict is possible against this result) and an
//! [`UnknownStrategy`] (the `NAME:` prefix names no strategy).

use crate::path::PathError;
use crate::text::snippet::snippet;

/// Why an assertion did not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct ParseError {
    /// 1-based column of the problem, counted in characters of the source
    /// (one past the last character for "end of input").
    pub column: usize,
    /// What was expected and what was found.
    pub message: String,
}

impl ParseError {
    pub(super) fn new(column: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            column,
            message: message.into(),
        }
    }

    /// The line of `source` holding the error, in the program's one snippet
    /// form ([`crate::text::snippet`]), with a caret under the column:
    ///
    /// ```text
    ///   |
    /// 1 | latency_ms.p99 =< 2500
    ///   |                ^
    /// ```
    ///
    /// No trailing newline. Pass the same string that was parsed.
    pub fn render(&self, source: &str) -> String {
        let (line, col) = line_and_column(source, self.column);
        snippet(source, line, col).unwrap_or_else(|| {
            // Past the last line (an empty source, or a trailing line
            // break): an empty line with the caret.
            let gutter = " ".repeat(line.to_string().len());
            let pad = " ".repeat(col.saturating_sub(1) as usize);
            format!("{gutter} |\n{line} | \n{gutter} | {pad}^")
        })
    }
}

/// The 1-based line and column of the 1-based character `column` of
/// `source`, with lines broken where [`snippet`] breaks them (`\n`, `\r\n`,
/// a lone `\r`). A column past the end stays past the end.
fn line_and_column(source: &str, column: usize) -> (u64, u64) {
    let chars: Vec<char> = source.chars().collect();
    let at = column.saturating_sub(1);
    let (mut line, mut col) = (1u64, 1u64);
    let mut i = 0;
    while i < at.min(chars.len()) {
        match chars[i] {
            '\r' if chars.get(i + 1) == Some(&'\n') && i + 1 < at => {
                (line, col) = (line + 1, 1);
                i += 1;
            }
            '\n' | '\r' => (line, col) = (line + 1, 1),
            _ => col += 1,
        }
        i += 1;
    }
    (line, col + at.saturating_sub(chars.len()) as u64)
}

/// Why an assertion could not be evaluated against a result. Every message
/// starts with the assertion's expression and a colon.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// A metric path names nothing.
    #[error("{expression}: {}unknown metric `{metric}`: {cause}{hint}", in_baseline(*baseline))]
    UnknownMetric {
        /// The assertion's expression.
        expression: String,
        /// The path as written.
        metric: String,
        /// Whether it was looked up in the baseline result.
        baseline: bool,
        /// Where the lookup stopped, the keys there and close matches.
        cause: Box<PathError>,
        /// More help (`; to subtract, put spaces around '-': …`), or empty.
        hint: String,
    },
    /// A path names a value that is not a number: text, a boolean, a group
    /// of metrics or a list.
    #[error("{expression}: {}`{metric}` is {found}, not a number{}", in_baseline(*baseline), pick(choices))]
    NotANumber {
        /// The assertion's expression.
        expression: String,
        /// The path as written.
        metric: String,
        /// Whether it was looked up in the baseline result.
        baseline: bool,
        /// What it is instead (`text ("token_bucket")`, `false`, `a group of
        /// metrics`, …).
        found: String,
        /// The numbers below it, for a group or a list.
        choices: Vec<String>,
    },
    /// `baseline` or `baseline.PATH` without a baseline result.
    #[error("{expression}: {what} needs a baseline result, but none was given")]
    NoBaseline {
        /// The assertion's expression.
        expression: String,
        /// What asked for it: `` `baseline` (the baseline's `cost_usd`) `` or
        /// `` `baseline.cost_usd` ``.
        what: String,
    },
    /// A division by a subexpression that is 0.
    #[error("{expression}: division by zero: `{divisor}` is 0")]
    DivisionByZero {
        /// The assertion's expression.
        expression: String,
        /// The divisor, as a canonical expression.
        divisor: String,
    },
    /// A result too large for `f64`.
    #[error("{expression}: arithmetic overflow: `{subexpression}` is too large ({operation})")]
    Overflow {
        /// The assertion's expression.
        expression: String,
        /// The subexpression that overflowed.
        subexpression: String,
        /// Its operands and operator, e.g. `1e300 * 1e300`.
        operation: String,
    },
}

fn in_baseline(baseline: bool) -> &'static str {
    if baseline {
        "in the baseline result: "
    } else {
        ""
    }
}

fn pick(choices: &[String]) -> String {
    if choices.is_empty() {
        String::new()
    } else {
        format!("; pick one of: {}", crate::path::list(choices))
    }
}

/// A `NAME:` prefix that names no strategy of the scenario.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "no strategy `{name}` in the scenario{}",
    strategies_note(suggestions, strategies)
)]
pub struct UnknownStrategy {
    /// The name in the prefix.
    pub name: String,
    /// Close names, closest first ([`crate::text::suggest`]).
    pub suggestions: Vec<String>,
    /// Every strategy of the scenario, in order.
    pub strategies: Vec<String>,
}

fn strategies_note(suggestions: &[String], strategies: &[String]) -> String {
    if !suggestions.is_empty() {
        let quoted: Vec<String> = suggestions.iter().map(|s| format!("`{s}`")).collect();
        format!("; did you mean {}?", crate::text::suggest::or_list(&quoted))
    } else if strategies.is_empty() {
        String::new()
    } else {
        format!(" (strategies: {})", crate::path::list(strategies))
    }
}
