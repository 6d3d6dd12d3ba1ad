//! Assertions: one-line checks on a strategy's result, for gating CI.
//!
//! An assertion compares two arithmetic expressions over the numbers in a
//! strategy's JSON result (the object `simulate --format json` prints under
//! `results`), optionally against a baseline result:
//!
//! ```text
//! rate_limited.total == 0
//! latency_ms.p99 < 2500
//! cost_usd <= 1.05 * baseline
//! by_class.interactive.latency_ms.p99 < 1500
//! by_model.claude-haiku-4-5.cost_usd < 2
//! token_bucket: rate_limited.total == 0
//! (cost_usd - baseline) / baseline < 5%
//! goodput_per_min >= 0.95 * baseline.goodput_per_min
//! ```
//!
//! # Grammar
//!
//! ```text
//! assertion  = [ strategy ":" ] expr comparison expr
//! strategy   = 1*( letter | digit | "_" | "-" | "." )
//! comparison = "==" | "!=" | "<" | "<=" | ">" | ">="
//! expr       = term *( ( "+" | "-" ) term )
//! term       = unary *( ( "*" | "/" ) unary )
//! unary      = ( "-" | "+" ) unary | primary
//! primary    = number | path | "baseline" | "baseline." path | "(" expr ")"
//! number     = ( digits [ "." digits ] | "." digits ) [ ( "e" | "E" ) [ "+" | "-" ] digits ] [ "%" ]
//! digits     = digit *( [ "_" ] digit )
//! path       = segment *( "." segment )
//! segment    = word *( "-" word )           ; the first segment starts with a letter or "_"
//! word       = 1*( letter | digit | "_" )
//! ```
//!
//! Whitespace (spaces, tabs, newlines) may appear between tokens. Letters
//! are ASCII. The usual precedence applies: `*` and `/` bind tighter than
//! `+` and `-`, all four associate to the left, and unary minus binds
//! tightest (`-a * b` is `(-a) * b`). An assertion holds exactly one
//! comparison; write several assertions to bound a value on both sides.
//!
//! Details worth knowing:
//!
//! - **Numbers**: `2500`, `2_500` (an `_` must sit between two digits),
//!   `0.5`, `.5`, `1e3`, `2.5E-1`; a `%` directly after a number divides it
//!   by 100 (`5%` is exactly `0.05`). Numbers carry no units: a metric's
//!   name gives its unit (`latency_ms` is in milliseconds, `cost_usd` in US
//!   dollars), and `latency_ms.p99 < 2.5s`, `cost_usd < $5` or
//!   `latency_ms.p99 < 5%` (a duration against the number 0.05) do not
//!   parse: the error says what to write (`write 2500`, `write 5`,
//!   `latency_ms.p99 < 1.05 * baseline`).
//! - **Metric paths** name a value in the result by the one rule of
//!   [`crate::path`] (the same spelling as sweep `--metric` and compare
//!   `--fail-on`): keys separated by `.` (`latency_ms.p99`,
//!   `by_class.interactive.cost_usd`), list entries by name or 0-based index
//!   (`by_model.claude-haiku-4-5.cost_usd`, `by_model.0.attempts`). A
//!   segment may contain letters, digits, `_` and `-`, so class names such
//!   as `tier-1` work; a `-` is part of a path only when a letter, digit or
//!   `_` sits on *both* sides of it, so write spaces around a minus that
//!   subtracts (`cost_usd - 1`, not `cost_usd-1`).
//! - **`baseline`** is a reserved word. On its own it stands for the
//!   *baseline result's* value of the metric on the left-hand side:
//!   `cost_usd <= 1.05 * baseline` compares this result's `cost_usd` with
//!   1.05 times the baseline's `cost_usd`. The left-hand side must mention
//!   exactly one metric path (it may also use numbers and `baseline`, so
//!   `cost_usd / baseline <= 1.05` and `(cost_usd - baseline) / baseline <
//!   5%` work); otherwise the assertion does not parse. `baseline.PATH` reads
//!   any metric of the baseline explicitly, anywhere in the assertion.
//! - **Strategy prefix**: `NAME:` before the expression restricts the
//!   assertion to the strategy of that name (letters, digits, `_`, `-`, `.`);
//!   without it the assertion applies to every strategy. See
//!   [`Assertion::applies_to`] and [`Assertion::check_strategy`].
//! - **Comparisons** are on `f64`; `==` and `!=` compare exactly (report
//!   numbers are already rounded, so `cost_usd == 14.677734` is meaningful).
//! - **Metrics with no value**: a metric with no samples is `null` in a
//!   report (the `latency_ms.p99` of a class none of whose requests
//!   succeeded). An assertion that reads one *fails* (it neither passes nor
//!   errors), saying so; see [`Check::no_value`].
//! - **Errors**: a malformed assertion gives a [`ParseError`] whose 1-based
//!   `column` (counted in characters of the whole source, prefix included)
//!   points at the problem and says what was expected, e.g.
//!   `column 16: expected a comparison operator (==, !=, <, <=, >, >=),
//!   found "=<"; did you mean "<="?`. [`ParseError::render`] draws the
//!   source with a caret under that column. Evaluation fails with an
//!   [`EvalError`] on an unknown metric (naming close matches and the keys
//!   available at that level), a value that is not a number, `baseline`
//!   without a baseline result, division by zero or arithmetic overflow.
//!   Nothing here panics, whatever the input.
//!
//! # Messages
//!
//! [`Assertion::evaluate`] returns a [`Check`] whose message repeats the
//! expression (without the strategy prefix), the two values and, for an
//! ordering, the margin or the shortfall, absolute and relative to the
//! right-hand side (the relative part is left out when that side is 0):
//!
//! ```text
//! latency_ms.p99 < 2500: 3120.5 is not < 2500 (over by 620.5, 24.8 %)
//! latency_ms.p99 < 4000: 3120.5 < 4000 (margin 879.5, 22.0 %)
//! goodput_per_min >= 20: 19.4 is not >= 20 (under by 0.6, 3.0 %)
//! rate_limited.total == 0: 12 is not == 0 (over by 12)
//! cost_usd <= 1.03 * baseline: 10.4 is not <= 10.3 (over by 0.1, 1.0 %; baseline cost_usd = 10)
//! by_class.batch.latency_ms.p99 < 1500: no value — latency_ms.p99 has no samples (no request of this class succeeded)
//! ```
//!
//! and an [`EvalError`] says why no verdict was possible:
//!
//! ```text
//! latency_ms.p98 < 1: unknown metric `latency_ms.p98`: `latency_ms` has no key `p98`;
//!     did you mean `latency_ms.p90` or `latency_ms.p99`? (keys under `latency_ms`: max, p50, p90, p99, p999)
//! ```
//!
//! # Example
//!
//! ```
//! use ratesim::assertions::Assertion;
//! use serde_json::json;
//!
//! let result = json!({
//!     "strategy": "token_bucket",
//!     "rate_limited": {"total": 0},
//!     "latency_ms": {"p50": 900.0, "p99": 3120.5},
//!     "cost_usd": 10.4,
//!     "by_class": {"batch": {"latency_ms": {"p99": null}}},
//! });
//! let baseline = json!({"cost_usd": 10.0});
//!
//! let a = Assertion::parse("latency_ms.p99 < 2500").unwrap();
//! let check = a.evaluate(&result, None).unwrap();
//! assert!(!check.passed);
//! assert_eq!(
//!     check.message,
//!     "latency_ms.p99 < 2500: 3120.5 is not < 2500 (over by 620.5, 24.8 %)"
//! );
//!
//! let a = Assertion::parse("token_bucket: cost_usd <= 1.05 * baseline").unwrap();
//! assert!(a.applies_to("token_bucket") && !a.applies_to("aimd"));
//! assert!(a.evaluate(&result, Some(&baseline)).unwrap().passed);
//!
//! let a = Assertion::parse("by_class.batch.latency_ms.p99 < 1500").unwrap();
//! let check = a.evaluate(&result, None).unwrap();
//! assert!(!check.passed);
//! assert_eq!(check.no_value.as_deref(), Some("by_class.batch.latency_ms.p99"));
//!
//! let err = Assertion::parse("latency_ms.p99 =< 2500").unwrap_err();
//! assert_eq!(err.column, 16);
//! assert_eq!(
//!     err.render("latency_ms.p99 =< 2500"),
//!     "  |\n1 | latency_ms.p99 =< 2500\n  |                ^"
//! );
//! ```

mod error;
mod eval;
mod expr;
mod lex;
mod parse;
mod units;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

pub use error::{EvalError, ParseError, UnknownStrategy};
use expr::Expr;

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Comparison {
    /// `==`, exact equality.
    Eq,
    /// `!=`.
    Ne,
    /// `<`.
    Lt,
    /// `<=`.
    Le,
    /// `>`.
    Gt,
    /// `>=`.
    Ge,
}

impl Comparison {
    /// Every operator, in the order error messages list them.
    pub const ALL: [Comparison; 6] = [
        Comparison::Eq,
        Comparison::Ne,
        Comparison::Lt,
        Comparison::Le,
        Comparison::Gt,
        Comparison::Ge,
    ];

    /// How the operator is written.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparison::Eq => "==",
            Comparison::Ne => "!=",
            Comparison::Lt => "<",
            Comparison::Le => "<=",
            Comparison::Gt => ">",
            Comparison::Ge => ">=",
        }
    }

    /// Whether `lhs OP rhs` holds.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Comparison::Eq => lhs == rhs,
            Comparison::Ne => lhs != rhs,
            Comparison::Lt => lhs < rhs,
            Comparison::Le => lhs <= rhs,
            Comparison::Gt => lhs > rhs,
            Comparison::Ge => lhs >= rhs,
        }
    }

    fn from_symbol(s: &str) -> Option<Comparison> {
        Comparison::ALL.into_iter().find(|c| c.symbol() == s)
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// A parsed assertion: `[STRATEGY:] EXPR CMP EXPR`.
#[derive(Clone, Debug, PartialEq)]
pub struct Assertion {
    /// The text it was parsed from, unchanged.
    pub source: String,
    /// The strategy it is restricted to (`NAME:` prefix), if any.
    pub strategy: Option<String>,
    /// The source without the strategy prefix, trimmed.
    expression: String,
    lhs: Expr,
    comparison: Comparison,
    rhs: Expr,
    /// The metric a bare `baseline` stands for (the left-hand side's only
    /// metric path), when the assertion uses a bare `baseline`.
    baseline_metric: Option<String>,
}

/// The outcome of evaluating an assertion against one result.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Whether the comparison held (never, when a metric has no value).
    pub passed: bool,
    /// Value of the left-hand side; `None` when a metric it reads has no
    /// value.
    pub lhs: Option<f64>,
    /// Value of the right-hand side; `None` when a metric it reads has no
    /// value.
    pub rhs: Option<f64>,
    /// The metric that has no value (`null`: no samples), as written, with
    /// a `baseline.` prefix when it is the baseline's; the check then
    /// failed.
    pub no_value: Option<String>,
    /// The expression and the verdict with the margin or the shortfall,
    /// e.g. `latency_ms.p99 < 2500: 3120.5 is not < 2500 (over by 620.5,
    /// 24.8 %)`, or why there is no value: `by_class.interactive.latency_ms.p99
    /// < 1500: no value — latency_ms.p99 has no samples (no request of this
    /// class succeeded)`.
    pub message: String,
}

impl Assertion {
    /// Parses `[STRATEGY:] EXPR CMP EXPR` (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// A [`ParseError`] at the first problem: a malformed token, a missing
    /// or unknown operator, unbalanced parentheses, trailing input, a bad
    /// strategy name, a number written with a unit, a bare `baseline` whose
    /// metric is not clear, or nesting deeper than 100 levels.
    pub fn parse(src: &str) -> Result<Assertion, ParseError> {
        let p = parse::parse(src)?;
        Ok(Assertion {
            source: src.to_string(),
            strategy: p.strategy,
            expression: p.expression,
            lhs: p.lhs,
            comparison: p.comparison,
            rhs: p.rhs,
            baseline_metric: p.baseline_metric,
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The expression without the strategy prefix, trimmed.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// The comparison operator.
    pub fn comparison(&self) -> Comparison {
        self.comparison
    }

    /// Whether it applies to the strategy named `strategy`: always without a
    /// prefix, otherwise only to the strategy the prefix names.
    pub fn applies_to(&self, strategy: &str) -> bool {
        self.strategy.as_deref().is_none_or(|s| s == strategy)
    }

    /// Fails when the `NAME:` prefix names none of `strategies`, suggesting
    /// close names ([`crate::text::suggest`]).
    ///
    /// # Errors
    ///
    /// An [`UnknownStrategy`].
    pub fn check_strategy<'a>(
        &self,
        strategies: impl IntoIterator<Item = &'a str>,
    ) -> Result<(), UnknownStrategy> {
        let Some(name) = &self.strategy else {
            return Ok(());
        };
        let all: Vec<&str> = strategies.into_iter().collect();
        if all.contains(&name.as_str()) {
            return Ok(());
        }
        Err(UnknownStrategy {
            name: name.clone(),
            suggestions: crate::text::suggest::did_you_mean(name, all.iter().copied())
                .into_iter()
                .map(str::to_string)
                .collect(),
            strategies: all.into_iter().map(str::to_string).collect(),
        })
    }

    /// Whether it reads the baseline result (`baseline` or `baseline.PATH`),
    /// so [`evaluate`](Self::evaluate) needs one.
    pub fn uses_baseline(&self) -> bool {
        self.baseline_metric.is_some() || self.lhs.reads_baseline() || self.rhs.reads_baseline()
    }

    /// The distinct metric paths it reads from the result being checked
    /// (not the baseline), dotted, in order of appearance.
    pub fn metrics(&self) -> Vec<String> {
        let mut paths = Vec::new();
        self.lhs.metric_paths(&mut paths);
        self.rhs.metric_paths(&mut paths);
        paths.into_iter().map(str::to_string).collect()
    }

    /// A normalised rendering (`NAME: ` prefix, single spaces, only the
    /// parentheses precedence needs, literals as plain decimals); parsing it
    /// gives back the same assertion.
    pub fn canonical(&self) -> String {
        let prefix = self
            .strategy
            .as_ref()
            .map_or(String::new(), |s| format!("{s}: "));
        format!("{prefix}{} {} {}", self.lhs, self.comparison, self.rhs)
    }

    /// Evaluates it against `result` (one strategy's result object), reading
    /// `baseline` and `baseline.PATH` from `baseline`.
    ///
    /// `Ok` carries the verdict whether or not the comparison held; a
    /// metric whose value is `null` (no samples) makes a failed [`Check`]
    /// with [`Check::no_value`] set. `Err` means it could not be decided
    /// (unknown metric, a value that is not a number, `baseline` without a
    /// baseline, division by zero, overflow); an unknown metric is an error
    /// even next to a metric with no value. It does not check
    /// [`applies_to`](Self::applies_to).
    ///
    /// # Errors
    ///
    /// An [`EvalError`] whose message starts with the expression.
    pub fn evaluate(&self, result: &Value, baseline: Option<&Value>) -> Result<Check, EvalError> {
        eval::evaluate(self, result, baseline)
    }
}

impl FromStr for Assertion {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Assertion, ParseError> {
        Assertion::parse(s)
    }
}

impl fmt::Display for Assertion {
    /// The source, as written.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}
