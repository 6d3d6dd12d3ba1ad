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
//!   by 100 (`5%` is exactly `0.05`).
//! - **Metric paths** name a number in the result by its keys, separated by
//!   `.`: `latency_ms.p99`, `rate_limited.itpm`,
//!   `by_class.interactive.cost_usd`. A segment may contain letters, digits,
//!   `_` and `-`, so class names such as `tier-1` work; a `-` is part of a
//!   path only when a letter, digit or `_` sits on *both* sides of it, so
//!   write spaces around a minus that subtracts (`cost_usd - 1`, not
//!   `cost_usd-1`). Lists (such as `by_model`) cannot be indexed.
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
//!   [`Assertion::applies_to`].
//! - **Comparisons** are on `f64`; `==` and `!=` compare exactly (report
//!   numbers are already rounded, so `cost_usd == 14.677734` is meaningful).
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
//! let err = Assertion::parse("latency_ms.p99 =< 2500").unwrap_err();
//! assert_eq!(err.column, 16);
//! assert_eq!(
//!     err.render("latency_ms.p99 =< 2500"),
//!     "latency_ms.p99 =< 2500\n               ^"
//! );
//! ```

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

/// Deepest expression tree (and deepest nesting of parentheses and unary
/// signs) accepted; deeper input is a parse error rather than a stack
/// overflow.
const MAX_DEPTH: usize = 100;

/// Longest token text quoted in an error message.
const QUOTE_LIMIT: usize = 24;

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

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
    baseline_metric: Option<Vec<String>>,
}

/// Why an assertion did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based column of the problem, counted in characters of the source
    /// (one past the last character for "end of input").
    pub column: usize,
    /// What was expected and what was found.
    pub message: String,
}

/// Why an assertion could not be evaluated against a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvalError {
    /// The assertion's expression, a colon, and what went wrong.
    pub message: String,
}

/// The outcome of evaluating an assertion against one result.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    /// Whether the comparison held.
    pub passed: bool,
    /// Value of the left-hand side.
    pub lhs: f64,
    /// Value of the right-hand side.
    pub rhs: f64,
    /// The expression and the verdict with the margin or the shortfall,
    /// e.g. `latency_ms.p99 < 2500: 3120.5 is not < 2500 (over by 620.5,
    /// 24.8 %)`.
    pub message: String,
}

impl ParseError {
    fn new(column: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            column,
            message: message.into(),
        }
    }

    /// The line of `source` holding the error and, under it, a caret at
    /// the error's column (tabs are kept so the caret lines up), e.g.
    ///
    /// ```text
    /// latency_ms.p99 =< 2500
    ///                ^
    /// ```
    ///
    /// No trailing newline. Pass the same string that was parsed.
    pub fn render(&self, source: &str) -> String {
        let chars: Vec<char> = source.chars().collect();
        let at = self.column.saturating_sub(1).min(chars.len());
        let start = chars[..at]
            .iter()
            .rposition(|&c| c == '\n')
            .map_or(0, |p| p + 1);
        let end = chars[at..]
            .iter()
            .position(|&c| c == '\n')
            .map_or(chars.len(), |p| at + p);
        let line: String = chars[start..end]
            .iter()
            .map(|&c| if c.is_control() && c != '\t' { ' ' } else { c })
            .collect();
        let pad: String = chars[start..at]
            .iter()
            .map(|&c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        format!("{}\n{pad}^", line.trim_end())
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for ParseError {}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for EvalError {}

impl Assertion {
    /// Parses `[STRATEGY:] EXPR CMP EXPR` (see the [module docs](self)).
    ///
    /// # Errors
    ///
    /// A [`ParseError`] at the first problem: a malformed token, a missing
    /// or unknown operator, unbalanced parentheses, trailing input, a bad
    /// strategy name, a bare `baseline` whose metric is not clear, or
    /// nesting deeper than 100 levels.
    pub fn parse(src: &str) -> Result<Assertion, ParseError> {
        let chars: Vec<char> = src.chars().collect();
        let (strategy, body_start) = match chars.iter().position(|&c| c == ':') {
            None => (None, 0),
            Some(colon) => (Some(strategy_prefix(&chars, colon)?), colon + 1),
        };
        let expression: String = chars[body_start..].iter().collect::<String>();
        let expression = expression.trim().to_string();
        if expression.is_empty() {
            let what = if strategy.is_some() {
                "expected an expression after the strategy name"
            } else {
                "empty assertion"
            };
            return Err(ParseError::new(
                chars.len() + 1,
                format!("{what}: write a comparison such as `latency_ms.p99 < 2500`"),
            ));
        }
        let tokens = lex(&chars, body_start)?;
        let mut parser = Parser {
            tokens: &tokens,
            pos: 0,
            nesting: 0,
            baseline_column: None,
        };
        let (lhs, comparison, rhs) = parser.assertion()?;
        let baseline_metric = match parser.baseline_column {
            None => None,
            Some(column) => Some(baseline_metric(&lhs, column)?),
        };
        Ok(Assertion {
            source: src.to_string(),
            strategy,
            expression,
            lhs,
            comparison,
            rhs,
            baseline_metric,
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
        paths.iter().map(|p| p.join(".")).collect()
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
    /// `Ok` carries the verdict whether or not the comparison held; `Err`
    /// means it could not be decided (unknown metric, a value that is not a
    /// number, `baseline` without a baseline, division by zero, overflow).
    /// It does not check [`applies_to`](Self::applies_to).
    ///
    /// # Errors
    ///
    /// An [`EvalError`] whose message starts with the expression.
    pub fn evaluate(&self, result: &Value, baseline: Option<&Value>) -> Result<Check, EvalError> {
        let baseline_value = match &self.baseline_metric {
            None => None,
            Some(path) => {
                let dotted = path.join(".");
                let Some(b) = baseline else {
                    return Err(self.error(format!(
                        "`baseline` stands for the baseline's `{dotted}`, \
                         but no baseline result was given"
                    )));
                };
                let v = lookup(b, path)
                    .map_err(|m| self.error(format!("in the baseline result: {m}")))?;
                Some((dotted, v))
            }
        };
        let env = Env {
            result,
            baseline,
            baseline_value: baseline_value.as_ref().map(|(_, v)| *v),
        };
        let lhs = self.eval(&self.lhs, &env)?;
        let rhs = self.eval(&self.rhs, &env)?;
        let passed = self.comparison.holds(lhs, rhs);
        let (head, mut details) = verdict(self.comparison, lhs, rhs, passed);
        if let Some((dotted, v)) = &baseline_value {
            details.push(format!("baseline {dotted} = {}", fmt_num(*v)));
        }
        let mut message = format!("{}: {head}", self.expression);
        if !details.is_empty() {
            message.push_str(&format!(" ({})", details.join("; ")));
        }
        Ok(Check {
            passed,
            lhs,
            rhs,
            message,
        })
    }

    fn error(&self, message: String) -> EvalError {
        EvalError {
            message: format!("{}: {message}", self.expression),
        }
    }

    fn eval(&self, e: &Expr, env: &Env<'_>) -> Result<f64, EvalError> {
        match e {
            Expr::Number(v) => Ok(*v),
            Expr::Metric(path) => lookup(env.result, path).map_err(|m| self.error(m)),
            Expr::BaselineMetric(path) => {
                let Some(b) = env.baseline else {
                    return Err(self.error(format!(
                        "`baseline.{}` needs a baseline result, but none was given",
                        path.join(".")
                    )));
                };
                lookup(b, path).map_err(|m| self.error(format!("in the baseline result: {m}")))
            }
            Expr::Baseline => env.baseline_value.ok_or_else(|| {
                self.error("`baseline` needs a baseline result, but none was given".into())
            }),
            Expr::Neg(x) => Ok(-self.eval(x, env)?),
            Expr::Binary(op, l, r) => {
                let a = self.eval(l, env)?;
                let b = self.eval(r, env)?;
                let v = match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div => {
                        if b == 0.0 {
                            return Err(self.error(format!("division by zero: `{r}` is 0")));
                        }
                        a / b
                    }
                };
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(self.error(format!(
                        "arithmetic overflow: `{e}` is too large ({} {op} {})",
                        fmt_num(a),
                        fmt_num(b)
                    )))
                }
            }
        }
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

// ---------------------------------------------------------------------------
// Expression tree
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    fn precedence(self) -> u8 {
        match self {
            BinOp::Add | BinOp::Sub => 1,
            BinOp::Mul | BinOp::Div => 2,
        }
    }
}

impl fmt::Display for BinOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    /// A literal (never negative: `-1` is `Neg(1)`).
    Number(f64),
    /// A metric of the result being checked.
    Metric(Vec<String>),
    /// `baseline.PATH`.
    BaselineMetric(Vec<String>),
    /// Bare `baseline`.
    Baseline,
    Neg(Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
}

impl Expr {
    fn precedence(&self) -> u8 {
        match self {
            Expr::Binary(op, _, _) => op.precedence(),
            Expr::Neg(_) => 3,
            _ => 4,
        }
    }

    fn metric_paths<'e>(&'e self, out: &mut Vec<&'e Vec<String>>) {
        match self {
            Expr::Metric(p) => {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
            Expr::Neg(x) => x.metric_paths(out),
            Expr::Binary(_, l, r) => {
                l.metric_paths(out);
                r.metric_paths(out);
            }
            Expr::Number(_) | Expr::BaselineMetric(_) | Expr::Baseline => {}
        }
    }

    fn reads_baseline(&self) -> bool {
        match self {
            Expr::BaselineMetric(_) | Expr::Baseline => true,
            Expr::Neg(x) => x.reads_baseline(),
            Expr::Binary(_, l, r) => l.reads_baseline() || r.reads_baseline(),
            Expr::Number(_) | Expr::Metric(_) => false,
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `{}` on f64 is the shortest decimal that reads back exactly.
            Expr::Number(v) => write!(f, "{v}"),
            Expr::Metric(p) => f.write_str(&p.join(".")),
            Expr::BaselineMetric(p) => write!(f, "baseline.{}", p.join(".")),
            Expr::Baseline => f.write_str("baseline"),
            Expr::Neg(x) => {
                if x.precedence() < 3 {
                    write!(f, "-({x})")
                } else {
                    write!(f, "-{x}")
                }
            }
            Expr::Binary(op, l, r) => {
                let p = op.precedence();
                if l.precedence() < p {
                    write!(f, "({l})")?;
                } else {
                    write!(f, "{l}")?;
                }
                write!(f, " {op} ")?;
                if r.precedence() <= p {
                    write!(f, "({r})")
                } else {
                    write!(f, "{r}")
                }
            }
        }
    }
}

/// The metric a bare `baseline` stands for: the left-hand side's only
/// metric path.
fn baseline_metric(lhs: &Expr, column: usize) -> Result<Vec<String>, ParseError> {
    let mut paths = Vec::new();
    lhs.metric_paths(&mut paths);
    match paths.as_slice() {
        [one] => Ok((*one).clone()),
        [] => Err(ParseError::new(
            column,
            "`baseline` stands for the baseline's value of the metric on the left-hand side, \
             but the left-hand side names no metric; write `baseline.METRIC` \
             (e.g. `baseline.cost_usd`)",
        )),
        many => {
            let names: Vec<String> = many.iter().map(|p| format!("`{}`", p.join("."))).collect();
            Err(ParseError::new(
                column,
                format!(
                    "`baseline` is ambiguous: the left-hand side names {} metrics ({}); \
                     write `baseline.METRIC` instead",
                    many.len(),
                    names.join(", ")
                ),
            ))
        }
    }
}

// ---------------------------------------------------------------------------
// Strategy prefix
// ---------------------------------------------------------------------------

fn is_strategy_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// The strategy name before the `:` at index `colon`.
fn strategy_prefix(chars: &[char], colon: usize) -> Result<String, ParseError> {
    let prefix = &chars[..colon];
    let Some(first) = prefix.iter().position(|c| !c.is_whitespace()) else {
        return Err(ParseError::new(
            colon + 1,
            "expected a strategy name before ':' (as in `token_bucket: rate_limited.total == 0`)",
        ));
    };
    let last = prefix
        .iter()
        .rposition(|c| !c.is_whitespace())
        .unwrap_or(first);
    let name = &prefix[first..=last];
    if let Some(bad) = name.iter().position(|&c| !is_strategy_char(c)) {
        if name.iter().any(|c| "=<>!+*/()".contains(*c)) {
            return Err(ParseError::new(
                colon + 1,
                "unexpected ':'; a strategy prefix `NAME:` goes before the expression \
                 (as in `token_bucket: rate_limited.total == 0`)",
            ));
        }
        return Err(ParseError::new(
            first + bad + 1,
            format!(
                "a strategy name may contain only letters, digits, '_', '-' and '.', found {}",
                describe_char(name[bad])
            ),
        ));
    }
    Ok(name.iter().collect())
}

// ---------------------------------------------------------------------------
// Lexer
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Number(f64),
    Path(Vec<String>),
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    Cmp(Comparison),
    /// A run of `= < > !` that is not a comparison operator.
    BadOperator(String),
    End,
}

#[derive(Clone, Debug)]
struct Token {
    tok: Tok,
    /// 1-based column of its first character.
    column: usize,
    /// Its text, for messages.
    text: String,
}

impl Token {
    fn describe(&self) -> String {
        match self.tok {
            Tok::End => "end of input".to_string(),
            _ => quote(&self.text),
        }
    }
}

fn quote(text: &str) -> String {
    let mut t: String = text.chars().take(QUOTE_LIMIT).collect();
    if text.chars().count() > QUOTE_LIMIT {
        t.push('…');
    }
    format!("\"{}\"", t.escape_debug())
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        _ => format!("\"{}\"", c.escape_debug()),
    }
}

fn describe_at(chars: &[char], i: usize) -> String {
    chars
        .get(i)
        .map_or("end of input".to_string(), |&c| describe_char(c))
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_operator_char(c: char) -> bool {
    matches!(c, '=' | '<' | '>' | '!')
}

/// Splits `chars[start..]` into tokens, always ending with [`Tok::End`].
fn lex(chars: &[char], start: usize) -> Result<Vec<Token>, ParseError> {
    let mut tokens = Vec::new();
    let mut i = start;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let column = i + 1;
        let single = match c {
            '+' => Some(Tok::Plus),
            '-' => Some(Tok::Minus),
            '*' => Some(Tok::Star),
            '/' => Some(Tok::Slash),
            '(' => Some(Tok::LParen),
            ')' => Some(Tok::RParen),
            _ => None,
        };
        let (tok, end) = if let Some(tok) = single {
            (tok, i + 1)
        } else if is_operator_char(c) {
            let end = chars[i..]
                .iter()
                .position(|&c| !is_operator_char(c))
                .map_or(chars.len(), |p| i + p);
            let text: String = chars[i..end].iter().collect();
            let tok = match Comparison::from_symbol(&text) {
                Some(cmp) => Tok::Cmp(cmp),
                None => Tok::BadOperator(text),
            };
            (tok, end)
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let (v, end) = lex_number(chars, i)?;
            (Tok::Number(v), end)
        } else if c.is_ascii_alphabetic() || c == '_' {
            let (path, end) = lex_path(chars, i)?;
            (Tok::Path(path), end)
        } else {
            return Err(unexpected_char(c, column));
        };
        tokens.push(Token {
            tok,
            column,
            text: chars[i..end].iter().collect(),
        });
        i = end;
    }
    tokens.push(Token {
        tok: Tok::End,
        column: chars.len() + 1,
        text: String::new(),
    });
    Ok(tokens)
}

fn unexpected_char(c: char, column: usize) -> ParseError {
    let hint = match c {
        '≤' => " (write <=)",
        '≥' => " (write >=)",
        '≠' => " (write !=)",
        '×' | '·' => " (write *)",
        '÷' => " (write /)",
        '−' | '–' => " (write -)",
        '%' => " ('%' must directly follow a number, as in `5%`)",
        ':' => " (only one `STRATEGY:` prefix is allowed, at the start)",
        '&' | '|' => " (an assertion holds one comparison; write several assertions instead)",
        '"' | '\'' | '`' => " (metric paths are written without quotes)",
        ',' => " (use '.' as the decimal point and '_' to group digits, as in `2_500.5`)",
        '[' | ']' => " (lists cannot be indexed)",
        _ => "",
    };
    ParseError::new(
        column,
        format!("unexpected character {}{hint}", describe_char(c)),
    )
}

/// Digits with `_` separators from `i`, appended to `out`; returns the end.
fn lex_digits(chars: &[char], mut i: usize, out: &mut String) -> Result<usize, ParseError> {
    while let Some(&c) = chars.get(i) {
        if c.is_ascii_digit() {
            out.push(c);
        } else if c == '_' {
            let after_digit = i > 0 && chars[i - 1].is_ascii_digit();
            let before_digit = chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !(after_digit && before_digit) {
                return Err(ParseError::new(
                    i + 1,
                    "a '_' in a number must sit between two digits (as in `2_500`)",
                ));
            }
        } else {
            break;
        }
        i += 1;
    }
    Ok(i)
}

/// A number literal starting at `start`; returns its value and end.
fn lex_number(chars: &[char], start: usize) -> Result<(f64, usize), ParseError> {
    let mut mantissa = String::new();
    let mut i = lex_digits(chars, start, &mut mantissa)?;
    let written = |end: usize| chars[start..end].iter().collect::<String>();
    if chars.get(i) == Some(&'.') {
        if chars.get(i + 1).is_some_and(char::is_ascii_digit) {
            mantissa.push('.');
            i = lex_digits(chars, i + 1, &mut mantissa)?;
        } else {
            return Err(ParseError::new(
                i + 2,
                format!(
                    "expected a digit after the decimal point in \"{}\", found {}",
                    written(i + 1),
                    describe_at(chars, i + 1)
                ),
            ));
        }
    }
    let mut exponent = None;
    if matches!(chars.get(i), Some('e' | 'E')) {
        let mut j = i + 1;
        let mut exp = String::new();
        if let Some(&sign @ ('+' | '-')) = chars.get(j) {
            exp.push(sign);
            j += 1;
        }
        if !chars.get(j).is_some_and(char::is_ascii_digit) {
            return Err(ParseError::new(
                j + 1,
                format!(
                    "expected the digits of the exponent in \"{}\", found {}",
                    written(j),
                    describe_at(chars, j)
                ),
            ));
        }
        i = lex_digits(chars, j, &mut exp)?;
        exponent = Some(exp);
    }
    let percent = chars.get(i) == Some(&'%');
    let number_end = i;
    if percent {
        i += 1;
    }
    if let Some(&c) = chars.get(i) {
        if c == '.' {
            let end = chars[i..]
                .iter()
                .position(|&c| !(is_word_char(c) || c == '.'))
                .map_or(chars.len(), |p| i + p);
            return Err(ParseError::new(
                i + 1,
                format!(
                    "malformed number \"{}\": a number has at most one decimal point",
                    written(end)
                ),
            ));
        }
        if is_word_char(c) || c == '%' {
            return Err(ParseError::new(
                i + 1,
                format!(
                    "unexpected {} right after the number \"{}\"; put an operator between them",
                    describe_char(c),
                    written(i)
                ),
            ));
        }
    }
    let out_of_range = || {
        ParseError::new(
            start + 1,
            format!("number \"{}\" is out of range", written(number_end)),
        )
    };
    // Scale percentages in decimal (`5%` is exactly 0.05) when possible.
    let text = match (&exponent, percent) {
        (None, true) => format!("{mantissa}e-2"),
        (Some(e), true) => match e.parse::<i64>() {
            Ok(e) => format!("{mantissa}e{}", e.saturating_sub(2)),
            Err(_) => format!("{mantissa}e{e}"),
        },
        (Some(e), false) => format!("{mantissa}e{e}"),
        (None, false) => mantissa,
    };
    let mut value: f64 = text.parse().map_err(|_| out_of_range())?;
    if percent && exponent.as_ref().is_some_and(|e| e.parse::<i64>().is_err()) {
        value /= 100.0;
    }
    if !value.is_finite() {
        return Err(out_of_range());
    }
    Ok((value, i))
}

/// A dotted metric path starting at `start`; returns its segments and end.
fn lex_path(chars: &[char], start: usize) -> Result<(Vec<String>, usize), ParseError> {
    let mut segments = Vec::new();
    let mut i = start;
    loop {
        let seg_start = i;
        while let Some(&c) = chars.get(i) {
            let joins = c == '-'
                && i > seg_start
                && is_word_char(chars[i - 1])
                && chars.get(i + 1).is_some_and(|&n| is_word_char(n));
            if is_word_char(c) || joins {
                i += 1;
            } else {
                break;
            }
        }
        if i == seg_start {
            let so_far: String = chars[start..i].iter().collect();
            return Err(ParseError::new(
                i + 1,
                format!(
                    "expected a key after '.' in the metric path \"{so_far}\", found {}",
                    describe_at(chars, i)
                ),
            ));
        }
        segments.push(chars[seg_start..i].iter().collect());
        if chars.get(i) == Some(&'.') {
            i += 1;
        } else {
            return Ok((segments, i));
        }
    }
}

// ---------------------------------------------------------------------------
// Parser
// ---------------------------------------------------------------------------

const EXPECTED_COMPARISON: &str = "a comparison operator (==, !=, <, <=, >, >=)";
const EXPECTED_OPERAND: &str = "a number, a metric path, `baseline` or '('";

struct Parser<'t> {
    tokens: &'t [Token],
    pos: usize,
    /// Current depth of parentheses and unary signs.
    nesting: usize,
    /// Column of the first bare `baseline`.
    baseline_column: Option<usize>,
}

fn too_deep(column: usize) -> ParseError {
    ParseError::new(
        column,
        format!("expression too deeply nested or too long (more than {MAX_DEPTH} levels)"),
    )
}

fn operator_hint(op: &str) -> &'static str {
    match op {
        "=" | "===" => "; use == to test equality",
        "=<" => "; did you mean \"<=\"?",
        "=>" => "; did you mean \">=\"?",
        "<>" | "=!" | "!==" => "; did you mean \"!=\"?",
        "!" => "; use != for 'not equal'",
        _ => "",
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Token {
        // `lex` always ends the list with `End`, and `bump` never passes it.
        &self.tokens[self.pos.min(self.tokens.len().saturating_sub(1))]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos + 1 < self.tokens.len() {
            self.pos += 1;
        }
        t
    }

    fn enter(&mut self, column: usize) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return Err(too_deep(column));
        }
        Ok(())
    }

    fn assertion(&mut self) -> Result<(Expr, Comparison, Expr), ParseError> {
        let (lhs, _) = self.sum()?;
        let t = self.bump();
        let comparison = match &t.tok {
            Tok::Cmp(c) => *c,
            Tok::BadOperator(op) => {
                return Err(ParseError::new(
                    t.column,
                    format!(
                        "expected {EXPECTED_COMPARISON}, found {}{}",
                        t.describe(),
                        operator_hint(op)
                    ),
                ));
            }
            Tok::RParen => {
                return Err(ParseError::new(t.column, "unmatched ')': no '(' before it"));
            }
            Tok::End => {
                return Err(ParseError::new(
                    t.column,
                    format!("expected {EXPECTED_COMPARISON}, found end of input"),
                ));
            }
            _ => {
                return Err(ParseError::new(
                    t.column,
                    format!(
                        "expected an arithmetic operator (+, -, *, /) or {EXPECTED_COMPARISON}, \
                         found {}",
                        t.describe()
                    ),
                ));
            }
        };
        let (rhs, _) = self.sum()?;
        let t = self.peek();
        match &t.tok {
            Tok::End => Ok((lhs, comparison, rhs)),
            Tok::Cmp(_) => Err(ParseError::new(
                t.column,
                format!(
                    "only one comparison is allowed per assertion, found a second one, {}; \
                     write two assertions instead",
                    t.describe()
                ),
            )),
            Tok::RParen => Err(ParseError::new(t.column, "unmatched ')': no '(' before it")),
            _ => Err(ParseError::new(
                t.column,
                format!(
                    "expected an arithmetic operator (+, -, *, /) or the end of the assertion, \
                     found {}{}",
                    t.describe(),
                    match &t.tok {
                        Tok::Path(p) if ["and", "or"].contains(&p.join(".").as_str()) => {
                            " (an assertion holds one comparison; write several assertions \
                             instead)"
                        }
                        _ => "",
                    }
                ),
            )),
        }
    }

    /// `term (("+" | "-") term)*`, with the tree's depth.
    fn sum(&mut self) -> Result<(Expr, usize), ParseError> {
        let (mut lhs, mut depth) = self.product()?;
        loop {
            let op = match self.peek().tok {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok((lhs, depth)),
            };
            let t = self.bump();
            let (rhs, d) = self.product()?;
            depth = 1 + depth.max(d);
            if depth > MAX_DEPTH {
                return Err(too_deep(t.column));
            }
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
    }

    /// `unary (("*" | "/") unary)*`, with the tree's depth.
    fn product(&mut self) -> Result<(Expr, usize), ParseError> {
        let (mut lhs, mut depth) = self.unary()?;
        loop {
            let op = match self.peek().tok {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                _ => return Ok((lhs, depth)),
            };
            let t = self.bump();
            let (rhs, d) = self.unary()?;
            depth = 1 + depth.max(d);
            if depth > MAX_DEPTH {
                return Err(too_deep(t.column));
            }
            lhs = Expr::Binary(op, Box::new(lhs), Box::new(rhs));
        }
    }

    fn unary(&mut self) -> Result<(Expr, usize), ParseError> {
        let negate = match self.peek().tok {
            Tok::Minus => true,
            Tok::Plus => false,
            _ => return self.primary(),
        };
        let t = self.bump();
        self.enter(t.column)?;
        let (x, depth) = self.unary()?;
        self.nesting -= 1;
        if !negate {
            return Ok((x, depth));
        }
        if depth + 1 > MAX_DEPTH {
            return Err(too_deep(t.column));
        }
        Ok((Expr::Neg(Box::new(x)), depth + 1))
    }

    fn primary(&mut self) -> Result<(Expr, usize), ParseError> {
        let t = self.bump();
        match t.tok {
            Tok::Number(v) => Ok((Expr::Number(v), 1)),
            Tok::Path(mut segments) => {
                if segments[0] != "baseline" {
                    Ok((Expr::Metric(segments), 1))
                } else if segments.len() == 1 {
                    self.baseline_column.get_or_insert(t.column);
                    Ok((Expr::Baseline, 1))
                } else {
                    segments.remove(0);
                    Ok((Expr::BaselineMetric(segments), 1))
                }
            }
            Tok::LParen => {
                self.enter(t.column)?;
                let inner = self.sum()?;
                self.nesting -= 1;
                let close = self.peek();
                if close.tok != Tok::RParen {
                    return Err(ParseError::new(
                        close.column,
                        format!(
                            "expected ')' to close the '(' at column {}, found {}",
                            t.column,
                            close.describe()
                        ),
                    ));
                }
                self.bump();
                Ok(inner)
            }
            _ => Err(ParseError::new(
                t.column,
                format!("expected {EXPECTED_OPERAND}, found {}", t.describe()),
            )),
        }
    }
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

struct Env<'v> {
    result: &'v Value,
    baseline: Option<&'v Value>,
    baseline_value: Option<f64>,
}

/// Formats a number for messages: integers plainly, others to at most six
/// decimals, very large or small magnitudes in exponent form.
fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-4..1e15).contains(&a) {
        return format!("{v:e}");
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// The verdict's head (`3120.5 is not < 2500`) and details (`over by 620.5,
/// 24.8 %`).
fn verdict(op: Comparison, lhs: f64, rhs: f64, passed: bool) -> (String, Vec<String>) {
    let (l, r) = (fmt_num(lhs), fmt_num(rhs));
    let by = |word: &str| {
        let diff = (lhs - rhs).abs();
        if rhs == 0.0 {
            format!("{word} {}", fmt_num(diff))
        } else {
            format!(
                "{word} {}, {:.1} %",
                fmt_num(diff),
                diff / rhs.abs() * 100.0
            )
        }
    };
    if passed {
        let details = match op {
            Comparison::Eq | Comparison::Ne => vec![],
            _ => vec![by("margin")],
        };
        return (format!("{l} {op} {r}"), details);
    }
    let head = format!("{l} is not {op} {r}");
    let detail = match op {
        Comparison::Ne => format!("both are {l}"),
        _ if lhs == rhs => "they are equal".to_string(),
        _ if lhs > rhs => by("over by"),
        _ => by("under by"),
    };
    (head, vec![detail])
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a group of metrics",
    }
}

/// Whether a key leads to something numeric (worth listing).
fn numeric_ish(v: &Value) -> bool {
    matches!(v, Value::Number(_) | Value::Object(_))
}

/// Reads the number at `path` in `root`; `Err` is a message.
fn lookup(root: &Value, path: &[String]) -> Result<f64, String> {
    let full = path.join(".");
    let mut cur = root;
    for (i, seg) in path.iter().enumerate() {
        let here = if i == 0 {
            "the result".to_string()
        } else {
            format!("`{}`", path[..i].join("."))
        };
        match cur {
            Value::Object(map) => match map.get(seg) {
                Some(v) => cur = v,
                None => return Err(unknown_key(root, path, i, map)),
            },
            Value::Array(_) => {
                return Err(format!(
                    "unknown metric `{full}`: {here} is a list, and assertions cannot index \
                     into lists"
                ));
            }
            other => {
                return Err(format!(
                    "unknown metric `{full}`: {here} is {}, it has no key `{seg}`",
                    kind(other)
                ));
            }
        }
    }
    match cur {
        Value::Number(n) => n
            .as_f64()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("`{full}` is not representable as a number")),
        Value::Object(map) => {
            let keys: Vec<String> = map
                .iter()
                .filter(|(_, v)| numeric_ish(v))
                .map(|(k, _)| format!("{full}.{k}"))
                .collect();
            if keys.is_empty() {
                Err(format!(
                    "`{full}` is a group with no numbers in it, not a number"
                ))
            } else {
                Err(format!(
                    "`{full}` is a group of metrics, not a number; pick one of: {}",
                    list(&keys)
                ))
            }
        }
        Value::Array(_) => Err(format!(
            "`{full}` is a list, not a number (assertions cannot index into lists)"
        )),
        Value::String(s) => Err(format!("`{full}` is text ({}), not a number", quote(s))),
        Value::Bool(b) => Err(format!("`{full}` is {b}, not a number")),
        Value::Null => Err(format!("`{full}` has no value (null), not a number")),
    }
}

fn list(items: &[String]) -> String {
    const MAX: usize = 40;
    let mut out = items
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX {
        out.push_str(&format!(", … ({} more)", items.len() - MAX));
    }
    out
}

fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// The message for `path[i]` missing from `map` (the object at `path[..i]`).
fn unknown_key(
    root: &Value,
    path: &[String],
    i: usize,
    map: &serde_json::Map<String, Value>,
) -> String {
    let full = path.join(".");
    let seg = &path[i];
    let prefix: String = path[..i].iter().map(|s| format!("{s}.")).collect();
    let rest: String = path[i + 1..].iter().map(|s| format!(".{s}")).collect();
    let mut msg = if i == 0 {
        format!("unknown metric `{full}`: the result has no key `{seg}`")
    } else {
        format!(
            "unknown metric `{full}`: `{}` has no key `{seg}`",
            path[..i].join(".")
        )
    };
    // `cost_usd-1` is one path segment; the user probably meant a subtraction.
    if let Some((before, after)) = seg.split_once('-')
        && map.contains_key(before)
    {
        msg.push_str(&format!(
            "; to subtract, put spaces around '-': `{prefix}{before} - {after}{rest}`"
        ));
    }
    // Close keys at this level.
    let mut close: Vec<(usize, &String)> = map
        .iter()
        .filter(|(_, v)| numeric_ish(v))
        .filter_map(|(k, _)| closeness(seg, k).map(|d| (d, k)))
        .collect();
    close.sort();
    let mut suggestions: Vec<String> = close
        .iter()
        .take(3)
        .map(|(_, k)| format!("`{prefix}{k}{rest}`"))
        .collect();
    // Otherwise, numbers elsewhere whose path ends with what was asked for.
    if suggestions.is_empty() {
        let wanted = path[i..].join(".");
        let mut leaves = Vec::new();
        numeric_leaves(root, String::new(), 0, &mut leaves);
        let mut found: Vec<String> = leaves
            .into_iter()
            .filter(|l| l == &wanted || l.ends_with(&format!(".{wanted}")))
            .collect();
        found.sort_by_key(|l| (l.len(), l.clone()));
        suggestions = found
            .into_iter()
            .take(3)
            .map(|l| format!("`{l}`"))
            .collect();
    }
    if !suggestions.is_empty() {
        msg.push_str(&format!("; did you mean {}?", or_list(&suggestions)));
    }
    let keys: Vec<String> = map
        .iter()
        .filter(|(_, v)| numeric_ish(v))
        .map(|(k, _)| k.clone())
        .collect();
    let level = if i == 0 {
        "at the top level".to_string()
    } else {
        format!("under `{}`", path[..i].join("."))
    };
    if keys.is_empty() {
        msg.push_str(&format!(" (no numeric keys {level})"));
    } else {
        msg.push_str(&format!(" (keys {level}: {})", list(&keys)));
    }
    msg
}

/// Dotted paths of every number under `v` (objects only, not lists).
fn numeric_leaves(v: &Value, path: String, depth: usize, out: &mut Vec<String>) {
    if depth > 16 {
        return;
    }
    match v {
        Value::Number(_) if !path.is_empty() => out.push(path),
        Value::Object(map) => {
            for (k, x) in map {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                numeric_leaves(x, p, depth + 1, out);
            }
        }
        _ => {}
    }
}

/// How close a key is to what was typed (smaller is closer), if close.
fn closeness(typed: &str, key: &str) -> Option<usize> {
    let (t, k) = (typed.to_ascii_lowercase(), key.to_ascii_lowercase());
    let d = edit_distance(&t, &k)?;
    let threshold = (t.chars().count() / 3).max(1);
    let prefix = t.len().min(k.len()) >= 2 && (k.starts_with(&t) || t.starts_with(&k));
    (d <= threshold || prefix).then_some(d)
}

/// Edit distance counting a swap of adjacent characters as one edit
/// (optimal string alignment), or `None` for strings too long to bother with.
fn edit_distance(a: &str, b: &str) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len() > 64 || b.len() > 64 {
        return None;
    }
    // d[i][j]: distance between the first i characters of a and j of b.
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    Some(d[a.len()][b.len()])
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn result() -> Value {
        json!({
            "strategy": "token_bucket",
            "layers": "queue=fifo",
            "requests": 100,
            "succeeded": 97,
            "failed": 3,
            "attempts": 120,
            "rate_limited": {"total": 12, "rpm": 0, "itpm": 12, "otpm": 0},
            "overloaded": 0,
            "latency_ms": {"p50": 900.0, "p90": 2000.0, "p99": 3120.5, "p999": 4000.0, "max": 5000.0},
            "goodput_per_min": 19.4,
            "cost_usd": 10.4,
            "by_class": {
                "interactive": {
                    "requests": 60,
                    "rate_limited": {"total": 2},
                    "latency_ms": {"p50": 800.0, "p99": 1400.0},
                    "cost_usd": 6.0
                },
                "background": {
                    "requests": 40,
                    "rate_limited": {"total": 10},
                    "latency_ms": {"p50": 1000.0, "p99": 4000.0},
                    "cost_usd": 4.4
                },
                "tier-1": {"requests": 0, "latency_ms": {"p99": 0.0}}
            },
            "by_model": [{"model": "claude-sonnet-4-5", "attempts": 120}],
            "max_concurrent": null,
            "batch": {"enabled": false}
        })
    }

    fn baseline() -> Value {
        json!({
            "cost_usd": 10.0,
            "goodput_per_min": 20.0,
            "latency_ms": {"p99": 3000.0},
            "rate_limited": {"total": 0}
        })
    }

    fn parse(src: &str) -> Assertion {
        Assertion::parse(src).unwrap_or_else(|e| panic!("{src:?} should parse: {e}"))
    }

    fn check(src: &str) -> Check {
        parse(src)
            .evaluate(&result(), Some(&baseline()))
            .unwrap_or_else(|e| panic!("{src:?} should evaluate: {e}"))
    }

    fn passes(src: &str) -> bool {
        check(src).passed
    }

    fn parse_err(src: &str) -> ParseError {
        match Assertion::parse(src) {
            Ok(a) => panic!("{src:?} should not parse, got {:?}", a.canonical()),
            Err(e) => e,
        }
    }

    fn eval_err(src: &str, baseline: Option<&Value>) -> String {
        match parse(src).evaluate(&result(), baseline) {
            Ok(c) => panic!("{src:?} should not evaluate, got {}", c.message),
            Err(e) => e.message,
        }
    }

    fn path(p: &str) -> Expr {
        Expr::Metric(p.split('.').map(str::to_string).collect())
    }

    #[test]
    fn parses_the_issue_examples() {
        let a = parse("rate_limited.total == 0");
        assert_eq!(a.strategy, None);
        assert_eq!(a.lhs, path("rate_limited.total"));
        assert_eq!(a.comparison(), Comparison::Eq);
        assert_eq!(a.rhs, Expr::Number(0.0));
        assert!(!a.uses_baseline());

        let a = parse("latency_ms.p99 < 2500");
        assert_eq!(a.lhs, path("latency_ms.p99"));
        assert_eq!(a.comparison(), Comparison::Lt);
        assert_eq!(a.rhs, Expr::Number(2500.0));

        let a = parse("cost_usd <= 1.05 * baseline");
        assert_eq!(a.comparison(), Comparison::Le);
        assert_eq!(
            a.rhs,
            Expr::Binary(
                BinOp::Mul,
                Box::new(Expr::Number(1.05)),
                Box::new(Expr::Baseline)
            )
        );
        assert_eq!(a.baseline_metric, Some(vec!["cost_usd".to_string()]));
        assert!(a.uses_baseline());

        let a = parse("by_class.interactive.latency_ms.p99 < 1500");
        assert_eq!(a.lhs, path("by_class.interactive.latency_ms.p99"));
        assert_eq!(a.metrics(), vec!["by_class.interactive.latency_ms.p99"]);

        let a = parse("token_bucket: rate_limited.total == 0");
        assert_eq!(a.strategy.as_deref(), Some("token_bucket"));
        assert_eq!(a.expression(), "rate_limited.total == 0");
        assert_eq!(a.source(), "token_bucket: rate_limited.total == 0");
        assert_eq!(a.to_string(), a.source);
        assert_eq!(a.lhs, path("rate_limited.total"));

        let from_str: Assertion = "latency_ms.p99 < 2500".parse().unwrap();
        assert_eq!(from_str.rhs, Expr::Number(2500.0));
    }

    #[test]
    fn numbers() {
        for (src, v) in [
            ("2500", 2500.0),
            ("2_500", 2500.0),
            ("1_000_000", 1e6),
            ("1.05", 1.05),
            (".5", 0.5),
            ("0.25", 0.25),
            ("1e3", 1000.0),
            ("2.5E-1", 0.25),
            ("1e+2", 100.0),
            ("5%", 0.05),
            ("12.5%", 0.125),
            ("1e3%", 10.0),
            ("0", 0.0),
        ] {
            let a = parse(&format!("x == {src}"));
            assert_eq!(a.rhs, Expr::Number(v), "{src}");
        }
        assert!(passes("5% == 0.05"));
        assert!(passes("1.1% == 0.011"));
    }

    #[test]
    fn precedence_and_associativity() {
        assert!(passes("1 + 2 * 3 == 7"));
        assert!(passes("(1 + 2) * 3 == 9"));
        assert!(passes("10 - 4 - 3 == 3"));
        assert!(passes("2 * 3 / 4 == 1.5"));
        assert!(passes("12 / 2 / 3 == 2"));
        assert!(passes("-2 * 3 == -6"));
        assert!(passes("-(1 + 2) == -3"));
        assert!(passes("- -4 == 4"));
        assert!(passes("+4 == 4"));
        assert!(passes("2 - -1 == 3"));
        assert!(passes("1 + 2 * 3 - 4 / 2 == 5"));
        assert!(passes("((((7)))) == 7"));
        assert_eq!(
            parse("a - b * c < 1").lhs,
            Expr::Binary(
                BinOp::Sub,
                Box::new(path("a")),
                Box::new(Expr::Binary(
                    BinOp::Mul,
                    Box::new(path("b")),
                    Box::new(path("c"))
                ))
            )
        );
    }

    #[test]
    fn every_comparison_operator() {
        let table = [
            ("3 == 3", true),
            ("3 == 4", false),
            ("3 != 4", true),
            ("3 != 3", false),
            ("3 < 4", true),
            ("3 < 3", false),
            ("3 <= 3", true),
            ("4 <= 3", false),
            ("4 > 3", true),
            ("3 > 3", false),
            ("3 >= 3", true),
            ("3 >= 4", false),
            ("0.1 + 0.2 == 0.3", false), // exact comparison
            ("cost_usd == 10.4", true),
            ("rate_limited.total != 0", true),
            ("requests>=100", true),
            ("requests<=99", false),
        ];
        for (src, expected) in table {
            assert_eq!(passes(src), expected, "{src}");
        }
        for c in Comparison::ALL {
            assert_eq!(Comparison::from_symbol(c.symbol()), Some(c));
        }
    }

    #[test]
    fn messages_say_by_how_much() {
        assert_eq!(
            check("latency_ms.p99 < 2500").message,
            "latency_ms.p99 < 2500: 3120.5 is not < 2500 (over by 620.5, 24.8 %)"
        );
        let c = check("latency_ms.p99 < 4000");
        assert!(c.passed);
        assert_eq!((c.lhs, c.rhs), (3120.5, 4000.0));
        assert_eq!(
            c.message,
            "latency_ms.p99 < 4000: 3120.5 < 4000 (margin 879.5, 22.0 %)"
        );
        assert_eq!(
            check("goodput_per_min >= 20").message,
            "goodput_per_min >= 20: 19.4 is not >= 20 (under by 0.6, 3.0 %)"
        );
        assert_eq!(
            check("rate_limited.total == 0").message,
            "rate_limited.total == 0: 12 is not == 0 (over by 12)"
        );
        assert_eq!(
            check("overloaded != 0").message,
            "overloaded != 0: 0 is not != 0 (both are 0)"
        );
        assert_eq!(
            check("requests < 100").message,
            "requests < 100: 100 is not < 100 (they are equal)"
        );
        assert_eq!(check("failed == 3").message, "failed == 3: 3 == 3");
        assert_eq!(
            check("  token_bucket :  failed == 2 ").message,
            "failed == 2: 3 is not == 2 (over by 1, 50.0 %)"
        );
    }

    #[test]
    fn baseline_semantics() {
        // 10.4 <= 1.05 * 10.0 = 10.5
        let c = check("cost_usd <= 1.05 * baseline");
        assert!(c.passed);
        assert_eq!(c.rhs, 1.05 * 10.0);
        assert!(
            c.message.contains("baseline cost_usd = 10"),
            "{}",
            c.message
        );
        assert!(!passes("cost_usd <= 1.03 * baseline"));
        assert_eq!(
            check("cost_usd <= 1.03 * baseline").message,
            "cost_usd <= 1.03 * baseline: 10.4 is not <= 10.3 \
             (over by 0.1, 1.0 %; baseline cost_usd = 10)"
        );
        // The left-hand side's only metric, wherever it sits.
        assert!(passes("cost_usd / baseline <= 1.05"));
        assert!(passes("(cost_usd - baseline) / baseline < 5%"));
        assert!(!passes("(cost_usd - baseline) / baseline < 3%"));
        assert!(passes("goodput_per_min >= 0.95 * baseline"));
        assert!(passes("latency_ms.p99 <= baseline * 1.05"));
        // Explicit form, anywhere, for any metric.
        assert!(passes("cost_usd <= 1.05 * baseline.cost_usd"));
        assert!(passes("baseline.rate_limited.total == 0"));
        assert!(passes("latency_ms.p99 - baseline.latency_ms.p99 < 200"));
        let a = parse("cost_usd < baseline.cost_usd");
        assert!(a.uses_baseline());
        assert_eq!(a.metrics(), vec!["cost_usd"]);

        // No baseline given.
        let m = eval_err("cost_usd <= 1.05 * baseline", None);
        assert!(m.starts_with("cost_usd <= 1.05 * baseline: "), "{m}");
        assert!(m.contains("no baseline result was given"), "{m}");
        let m = eval_err("cost_usd <= baseline.cost_usd", None);
        assert!(
            m.contains("`baseline.cost_usd` needs a baseline result"),
            "{m}"
        );
        // The baseline lacks the metric.
        let m = eval_err("requests <= baseline", Some(&baseline()));
        assert!(
            m.contains("in the baseline result: unknown metric `requests`"),
            "{m}"
        );

        // The left side must name exactly one metric.
        let e = parse_err("1 < baseline");
        assert_eq!(e.column, 5);
        assert!(e.message.contains("names no metric"), "{e}");
        let e = parse_err("cost_usd + overloaded <= baseline");
        assert_eq!(e.column, 26);
        assert!(e.message.contains("ambiguous"), "{e}");
        assert!(e.message.contains("`cost_usd`, `overloaded`"), "{e}");
        let e = parse_err("baseline > cost_usd");
        assert_eq!(e.column, 1);
        let e = parse_err("baseline.cost_usd > 2 * baseline");
        assert_eq!(e.column, 25);
        // The same metric twice is still one metric.
        assert!(passes("cost_usd + cost_usd <= 2.1 * baseline"));
    }

    #[test]
    fn strategy_prefix() {
        let a = parse("token_bucket: rate_limited.total == 0");
        assert!(a.applies_to("token_bucket"));
        assert!(!a.applies_to("token_bucket2"));
        assert!(!a.applies_to("aimd"));
        let a = parse("rate_limited.total == 0");
        assert!(a.applies_to("token_bucket") && a.applies_to("anything"));
        for (src, name) in [
            ("bucket-70: cost_usd < 1", "bucket-70"),
            ("v1.2:cost_usd < 1", "v1.2"),
            ("  A_b-9.x  :  cost_usd < 1", "A_b-9.x"),
        ] {
            let a = parse(src);
            assert_eq!(a.strategy.as_deref(), Some(name), "{src}");
            assert_eq!(a.expression(), "cost_usd < 1");
            assert_eq!(a.lhs, path("cost_usd"));
        }

        let e = parse_err(": a < 1");
        assert_eq!(e.column, 1);
        assert!(e.message.contains("expected a strategy name"), "{e}");
        let e = parse_err("   : a < 1");
        assert_eq!(e.column, 4);
        let e = parse_err("token bucket: a < 1");
        assert_eq!(e.column, 6);
        assert!(e.message.contains("found a space"), "{e}");
        let e = parse_err("tok$en: a < 1");
        assert_eq!(e.column, 4);
        let e = parse_err("a < 1: b");
        assert_eq!(e.column, 6);
        assert!(e.message.contains("unexpected ':'"), "{e}");
        let e = parse_err("aimd:");
        assert_eq!(e.column, 6);
        assert!(
            e.message
                .contains("expected an expression after the strategy name")
        );
        let e = parse_err("a: b: c < 1");
        assert_eq!(e.column, 5);
        assert!(e.message.contains("only one `STRATEGY:` prefix"), "{e}");
    }

    #[test]
    fn error_columns() {
        let cases: &[(&str, usize, &str)] = &[
            ("", 1, "empty assertion"),
            ("   ", 4, "empty assertion"),
            (
                "latency_ms.p99 =< 2500",
                16,
                "expected a comparison operator (==, !=, <, <=, >, >=), found \"=<\"; \
                 did you mean \"<=\"?",
            ),
            ("a = 1", 3, "found \"=\"; use == to test equality"),
            ("a => 1", 3, "did you mean \">=\"?"),
            ("a <> 1", 3, "did you mean \"!=\"?"),
            ("a ! 1", 3, "use != for 'not equal'"),
            ("a <=> 1", 3, "found \"<=>\""),
            ("latency_ms.p99", 15, "found end of input"),
            (
                "a b < 1",
                3,
                "expected an arithmetic operator (+, -, *, /) or a comparison",
            ),
            (
                "(1 + 2 == 3",
                8,
                "expected ')' to close the '(' at column 1, found \"==\"",
            ),
            ("((1 + 2) == 3", 10, "close the '(' at column 1"),
            ("1 < (2", 7, "found end of input"),
            ("1 + 2) == 3", 6, "unmatched ')'"),
            ("1 < 2)", 6, "unmatched ')'"),
            (
                "() < 1",
                2,
                "expected a number, a metric path, `baseline` or '(', found \")\"",
            ),
            ("a < 1 b", 7, "or the end of the assertion, found \"b\""),
            (
                "a < 1 and b > 2",
                7,
                "found \"and\" (an assertion holds one comparison",
            ),
            ("a < 1 < 2", 7, "only one comparison is allowed"),
            ("a < 1 =< 2", 7, "found \"=<\""),
            (
                "latency_ms. < 3",
                12,
                "expected a key after '.' in the metric path \"latency_ms.\", found a space",
            ),
            ("a < latency_ms.", 16, "found end of input"),
            ("a..b < 1", 3, "expected a key after '.'"),
            (
                "1.2.3 == 1",
                4,
                "malformed number \"1.2.3\": a number has at most one decimal point",
            ),
            ("x < 1e3.5", 8, "malformed number \"1e3.5\""),
            (
                "1. == 1",
                3,
                "expected a digit after the decimal point in \"1.\", found a space",
            ),
            ("1.x == 1", 3, "found \"x\""),
            (
                "1e == 1",
                3,
                "expected the digits of the exponent in \"1e\"",
            ),
            ("1e+ == 1", 4, "exponent"),
            ("2_ == 2", 2, "'_' in a number must sit between two digits"),
            ("2__0 == 2", 2, "between two digits"),
            (
                "12ms < 3",
                3,
                "unexpected \"m\" right after the number \"12\"",
            ),
            (
                "5%% < 3",
                3,
                "unexpected \"%\" right after the number \"5%\"",
            ),
            ("a < 5 %", 7, "'%' must directly follow a number"),
            (
                "a <",
                4,
                "expected a number, a metric path, `baseline` or '(', found end of input",
            ),
            ("< 3", 1, "expected a number"),
            ("a < *3", 5, "found \"*\""),
            ("a # 1", 3, "unexpected character \"#\""),
            ("a ≤ 1", 3, "(write <=)"),
            ("a < 1 && b < 2", 7, "write several assertions"),
            ("\"cost_usd\" < 1", 1, "without quotes"),
            ("a < 2,5", 6, "decimal point"),
            ("a < 1e999", 5, "number \"1e999\" is out of range"),
            ("a-b- < 1", 6, "found \"<\""),
            ("a < \u{0}", 5, "unexpected character \"\\0\""),
            ("é < 1", 1, "unexpected character \"é\""),
            ("é < 1 b", 1, "unexpected character"),
            ("a < b é", 7, "unexpected character \"é\""), // columns count characters
        ];
        for &(src, column, fragment) in cases {
            let e = parse_err(src);
            assert_eq!(e.column, column, "{src:?}: {e}");
            assert!(e.message.contains(fragment), "{src:?}: {e}");
            assert_eq!(e.to_string(), format!("column {column}: {}", e.message));
        }
        let e = parse_err("latency_ms.p99 =< 2500");
        assert_eq!(
            e.to_string(),
            "column 16: expected a comparison operator (==, !=, <, <=, >, >=), \
             found \"=<\"; did you mean \"<=\"?"
        );
    }

    #[test]
    fn nesting_limits_are_errors_not_overflows() {
        let deep = format!("{}1{} == 1", "(".repeat(5000), ")".repeat(5000));
        let e = parse_err(&deep);
        assert!(e.message.contains("too deeply nested"), "{e}");
        assert_eq!(e.column, MAX_DEPTH + 1);
        let e = parse_err(&format!("{}1 == -1", "-".repeat(100_000)));
        assert!(e.message.contains("too deeply nested"), "{e}");
        let e = parse_err(&format!("{}1 == 1", "1 + ".repeat(10_000)));
        assert!(e.message.contains("too deeply nested"), "{e}");
        // Within the limits is fine.
        assert!(passes(&format!("{}1 == 50", "1 + ".repeat(49))));
        assert!(passes(&format!(
            "{}7{} == 7",
            "(".repeat(50),
            ")".repeat(50)
        )));
    }

    #[test]
    fn render_draws_a_caret() {
        let src = "latency_ms.p99 =< 2500";
        let e = parse_err(src);
        assert_eq!(e.render(src), "latency_ms.p99 =< 2500\n               ^");
        let src = "a < 1 b";
        assert_eq!(parse_err(src).render(src), "a < 1 b\n      ^");
        // End of input: the caret sits just past the last character.
        let src = "a <";
        assert_eq!(parse_err(src).render(src), "a <\n   ^");
        assert_eq!(parse_err("").render(""), "\n^");
        // Tabs are kept so the caret lines up; only the offending line shows.
        let src = "a\t<\t1\tb";
        assert_eq!(parse_err(src).render(src), "a\t<\t1\tb\n \t \t \t^");
        let src = "a <\n 1 b";
        let e = parse_err(src);
        assert_eq!(e.column, 8);
        assert_eq!(e.render(src), " 1 b\n   ^");
        // Characters, not bytes.
        let src = "é < 1";
        assert_eq!(parse_err(src).render(src), "é < 1\n^");
        let src = "a < b é";
        assert_eq!(parse_err(src).render(src), "a < b é\n      ^");
        // A column out of range does not panic.
        let e = ParseError::new(99, "x");
        assert_eq!(e.render("ab"), "ab\n  ^");
    }

    #[test]
    fn evaluates_against_json() {
        assert!(passes("requests == succeeded + failed"));
        assert!(passes("attempts / requests == 1.2"));
        assert!(passes("by_class.interactive.latency_ms.p99 < 1500"));
        assert!(!passes("by_class.background.latency_ms.p99 < 1500"));
        assert!(passes(
            "by_class.interactive.cost_usd + by_class.background.cost_usd == cost_usd"
        ));
        assert!(passes(
            "rate_limited.total == rate_limited.itpm + rate_limited.rpm"
        ));
        // A '-' inside a segment belongs to the name.
        assert!(passes("by_class.tier-1.requests == 0"));
        assert!(passes("by_class.tier-1.latency_ms.p99 == 0"));
        // Spaced '-' subtracts.
        assert!(passes("requests - failed == succeeded"));
        assert!(passes("requests -failed == succeeded"));
        assert!(passes("-cost_usd < 0"));
        assert!(passes("latency_ms.p99 >= 3_000"));
        assert!(passes("goodput_per_min * 60 > 1_000"));
    }

    #[test]
    fn evaluation_errors() {
        let m = eval_err("latency_ms.p98 < 1", None);
        assert!(
            m.starts_with("latency_ms.p98 < 1: unknown metric `latency_ms.p98`"),
            "{m}"
        );
        assert!(m.contains("`latency_ms` has no key `p98`"), "{m}");
        assert!(
            m.contains("did you mean `latency_ms.p90` or `latency_ms.p99`?"),
            "{m}"
        );
        assert!(
            m.contains("(keys under `latency_ms`: max, p50, p90, p99, p999)"),
            "{m}"
        );

        let m = eval_err("latency.p99 < 1", None);
        assert!(m.contains("the result has no key `latency`"), "{m}");
        assert!(m.contains("did you mean `latency_ms.p99`?"), "{m}");
        assert!(
            m.contains("keys at the top level: attempts, batch, by_class, cost_usd"),
            "{m}"
        );
        assert!(!m.contains("strategy,"), "text keys are not listed: {m}");

        let m = eval_err("p99 < 1", None);
        assert!(
            m.contains(
                "did you mean `latency_ms.p99`, `by_class.tier-1.latency_ms.p99` or \
                 `by_class.background.latency_ms.p99`?"
            ),
            "{m}"
        );

        let m = eval_err("by_class.interactiv.latency_ms.p99 < 1", None);
        assert!(
            m.contains("did you mean `by_class.interactive.latency_ms.p99`?"),
            "{m}"
        );
        assert!(
            m.contains("keys under `by_class`: background, interactive, tier-1"),
            "{m}"
        );

        let m = eval_err("rate_limited.itmp == 0", None);
        assert!(m.contains("did you mean `rate_limited.itpm`?"), "{m}");
        assert_eq!(edit_distance("itmp", "itpm"), Some(1));
        assert_eq!(edit_distance("kitten", "sitting"), Some(3));
        assert_eq!(edit_distance("", "abc"), Some(3));

        let m = eval_err("Cost_USD < 1", None);
        assert!(m.contains("did you mean `cost_usd`?"), "{m}");

        let m = eval_err("nothing_like_it < 1", None);
        assert!(!m.contains("did you mean"), "{m}");

        let m = eval_err("cost_usd-1 < 5", None);
        assert!(
            m.contains("to subtract, put spaces around '-': `cost_usd - 1`"),
            "{m}"
        );

        let m = eval_err("latency_ms < 1", None);
        assert!(
            m.contains("`latency_ms` is a group of metrics, not a number"),
            "{m}"
        );
        assert!(
            m.contains("pick one of: latency_ms.max, latency_ms.p50"),
            "{m}"
        );

        let m = eval_err("strategy == 1", None);
        assert!(
            m.contains("`strategy` is text (\"token_bucket\"), not a number"),
            "{m}"
        );
        let m = eval_err("by_model.attempts > 1", None);
        assert!(m.contains("`by_model` is a list"), "{m}");
        let m = eval_err("by_model > 1", None);
        assert!(m.contains("`by_model` is a list, not a number"), "{m}");
        let m = eval_err("cost_usd.x > 1", None);
        assert!(
            m.contains("`cost_usd` is a number, it has no key `x`"),
            "{m}"
        );
        let m = eval_err("max_concurrent > 1", None);
        assert!(m.contains("null"), "{m}");
        let m = eval_err("batch.enabled == 0", None);
        assert!(m.contains("`batch.enabled` is false, not a number"), "{m}");
        let m = eval_err("batch.x == 0", None);
        assert!(m.contains("(no numeric keys under `batch`)"), "{m}");

        let m = eval_err("cost_usd / overloaded > 1", None);
        assert_eq!(
            m,
            "cost_usd / overloaded > 1: division by zero: `overloaded` is 0"
        );
        let m = eval_err("1 / (requests - 100) > 1", None);
        assert!(m.contains("division by zero: `requests - 100` is 0"), "{m}");
        let m = eval_err("1e300 * 1e300 > 0", None);
        assert!(m.contains("arithmetic overflow"), "{m}");

        // Against something that is not an object at all.
        let e = parse("a < 1").evaluate(&json!(3), None).unwrap_err();
        assert!(e.message.contains("the result is a number"), "{e}");
    }

    #[test]
    fn canonical_form_reparses_to_the_same_tree() {
        for src in [
            "a - (b - c) == a - b + c",
            "-(a + b) * c / (d * e) < 1",
            "token_bucket: cost_usd <= 1.05 * baseline",
            "(cost_usd - baseline) / baseline < 5%",
            "x >= - - 3 * baseline.y",
            "by_class.tier-1.latency_ms.p99 != 1e-7",
        ] {
            let a = parse(src);
            let b = parse(&a.canonical());
            assert_eq!(
                (
                    &a.strategy,
                    &a.lhs,
                    a.comparison,
                    &a.rhs,
                    &a.baseline_metric
                ),
                (
                    &b.strategy,
                    &b.lhs,
                    b.comparison,
                    &b.rhs,
                    &b.baseline_metric
                ),
                "{src} -> {}",
                a.canonical()
            );
        }
        assert_eq!(
            parse("  x:a-(b - c)*2==-(1)  ").canonical(),
            "x: a - (b - c) * 2 == -1"
        );
    }

    #[test]
    fn formats_numbers_for_messages() {
        assert_eq!(fmt_num(0.0), "0");
        assert_eq!(fmt_num(-0.0), "0");
        assert_eq!(fmt_num(2500.0), "2500");
        assert_eq!(fmt_num(3120.5), "3120.5");
        assert_eq!(fmt_num(1.05 * 14.677734), "15.411621");
        assert_eq!(fmt_num(-0.25), "-0.25");
        assert_eq!(fmt_num(1e-7), "1e-7");
        assert_eq!(fmt_num(1e20), "1e20");
    }

    /// SplitMix64: a tiny deterministic generator for the property test.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    #[test]
    fn never_panics_on_generated_and_mutated_input() {
        // Pieces of assertions, separated by "¦".
        const PIECES: &str = "latency_ms¦.¦p99¦baseline¦cost_usd¦by_class¦interactive¦tier-1¦rate_limited¦total¦1¦0¦2_500¦1e3¦1e¦5%¦%¦.5¦1.2.3¦(¦)¦+¦-¦*¦/¦==¦!=¦<¦<=¦>¦>=¦=¦!¦=<¦:¦token_bucket:¦ ¦ ¦\t¦\n¦_¦e¦≤¦é¦\u{0}¦#¦1e308¦9¦a-b¦--¦baseline.¦by_model";
        const CHARS: &str = "().-+*/=<>!:%_eE059az \t\né≤\u{0}\"\u{10FFFF}";
        let pieces: Vec<&str> = PIECES.split('¦').collect();
        let chars: Vec<char> = CHARS.chars().collect();
        let seeds = [
            "rate_limited.total == 0",
            "latency_ms.p99 < 2500",
            "cost_usd <= 1.05 * baseline",
            "by_class.interactive.latency_ms.p99 < 1500",
            "token_bucket: rate_limited.total == 0",
            "(cost_usd - baseline) / baseline < 5%",
            "-(requests - failed) * 2_500e-3 >= -1e3 + baseline.cost_usd",
        ];
        let mut rng = Rng(0x5EED);
        let mut inputs: Vec<String> = Vec::new();
        for _ in 0..400 {
            let n = rng.below(14);
            inputs.push((0..n).map(|_| *rng.pick(&pieces)).collect());
        }
        for _ in 0..600 {
            let mut s: Vec<char> = rng.pick(&seeds).chars().collect();
            for _ in 0..1 + rng.below(4) {
                let at = rng.below(s.len() + 1);
                match rng.below(3) {
                    0 => s.insert(at, *rng.pick(&chars)),
                    1 if at < s.len() => {
                        s.remove(at);
                    }
                    _ if at < s.len() => s[at] = *rng.pick(&chars),
                    _ => s.push(*rng.pick(&chars)),
                }
            }
            inputs.push(s.into_iter().collect());
        }
        let (res, base) = (result(), baseline());
        let (mut ok, mut failed) = (0, 0);
        for src in &inputs {
            let len = src.chars().count();
            match Assertion::parse(src) {
                Err(e) => {
                    failed += 1;
                    assert!(
                        (1..=len + 1).contains(&e.column),
                        "{src:?}: column {} out of 1..={}",
                        e.column,
                        len + 1
                    );
                    assert!(!e.message.is_empty());
                    let _ = e.render(src);
                    let _ = e.to_string();
                }
                Ok(a) => {
                    ok += 1;
                    let _ = a.evaluate(&res, Some(&base));
                    let _ = a.evaluate(&res, None);
                    let _ = a.evaluate(&json!(null), Some(&json!([])));
                    let b = Assertion::parse(&a.canonical())
                        .unwrap_or_else(|e| panic!("{src:?} -> {:?}: {e}", a.canonical()));
                    assert_eq!((&a.lhs, &a.rhs), (&b.lhs, &b.rhs), "{src:?}");
                    assert_eq!(a.strategy, b.strategy, "{src:?}");
                    assert_eq!(a.baseline_metric, b.baseline_metric, "{src:?}");
                }
            }
        }
        // The generator exercises both outcomes.
        assert!(ok > 50 && failed > 300, "ok {ok}, failed {failed}");
    }
}
