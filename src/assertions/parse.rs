//! The grammar: the strategy prefix, then a recursive-descent parser over
//! the tokens of [`super::lex`], with located messages.

use super::Comparison;
use super::error::ParseError;
use super::expr::{BinOp, Expr};
use super::lex::{Lexed, Tok, Token, describe_char, lex};
use super::units;

/// Deepest expression tree (and deepest nesting of parentheses and unary
/// signs) accepted; deeper input is a parse error rather than a stack
/// overflow.
pub(super) const MAX_DEPTH: usize = 100;

const EXPECTED_COMPARISON: &str = "a comparison operator (==, !=, <, <=, >, >=)";
const EXPECTED_OPERAND: &str = "a number, a metric path, `baseline` or '('";

/// A parsed assertion's parts.
pub(super) struct Parsed {
    pub(super) strategy: Option<String>,
    pub(super) expression: String,
    pub(super) lhs: Expr,
    pub(super) comparison: Comparison,
    pub(super) rhs: Expr,
    pub(super) baseline_metric: Option<String>,
}

/// Parses `[STRATEGY:] EXPR CMP EXPR`.
pub(super) fn parse(src: &str) -> Result<Parsed, ParseError> {
    let chars: Vec<char> = src.chars().collect();
    let (strategy, body_start) = match chars.iter().position(|&c| c == ':') {
        None => (None, 0),
        Some(colon) => (Some(strategy_prefix(&chars, colon)?), colon + 1),
    };
    let expression = chars[body_start..].iter().collect::<String>();
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
    let Lexed { tokens, error } = lex(&chars, body_start);
    // A number with a unit comes before any malformed token (the lexer
    // stops there) and is reported first, with the unit of the metric.
    let unit_error = units::quantity_error(&tokens);
    if let Some(e) = error {
        return Err(unit_error.unwrap_or(e));
    }
    let mut parser = Parser {
        tokens: &tokens,
        pos: 0,
        nesting: 0,
        baseline_column: None,
    };
    let (lhs, comparison, rhs) = match parser.assertion() {
        Ok(parts) => parts,
        Err(e) => {
            return Err(match unit_error {
                Some(u) if u.column < e.column => u,
                _ => e,
            });
        }
    };
    if let Some(e) = unit_error {
        return Err(e);
    }
    units::check_percent(&tokens, &lhs, comparison, &rhs)?;
    let baseline_metric = match parser.baseline_column {
        None => None,
        Some(column) => Some(baseline_metric(&lhs, column)?),
    };
    Ok(Parsed {
        strategy,
        expression,
        lhs,
        comparison,
        rhs,
        baseline_metric,
    })
}

/// The metric a bare `baseline` stands for: the left-hand side's only
/// metric path.
fn baseline_metric(lhs: &Expr, column: usize) -> Result<String, ParseError> {
    let mut paths = Vec::new();
    lhs.metric_paths(&mut paths);
    match paths.as_slice() {
        [one] => Ok((*one).to_string()),
        [] => Err(ParseError::new(
            column,
            "`baseline` stands for the baseline's value of the metric on the left-hand side, \
             but the left-hand side names no metric; write `baseline.METRIC` \
             (e.g. `baseline.cost_usd`)",
        )),
        many => {
            let names: Vec<String> = many.iter().map(|p| format!("`{p}`")).collect();
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

/// The end-of-input token, for a parser that ran off the list (which
/// [`lex`] always ends with one).
static END: Token = Token {
    tok: Tok::End,
    column: 1,
    text: String::new(),
};

impl Parser<'_> {
    fn peek(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or(self.tokens.last())
            .unwrap_or(&END)
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
                        Tok::Path(p) if p == "and" || p == "or" => {
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
        self.chain(Parser::product, |t| match t {
            Tok::Plus => Some(BinOp::Add),
            Tok::Minus => Some(BinOp::Sub),
            _ => None,
        })
    }

    /// `unary (("*" | "/") unary)*`, with the tree's depth.
    fn product(&mut self) -> Result<(Expr, usize), ParseError> {
        self.chain(Parser::unary, |t| match t {
            Tok::Star => Some(BinOp::Mul),
            Tok::Slash => Some(BinOp::Div),
            _ => None,
        })
    }

    /// Operands from `operand` joined, left to right, by the operators `op`
    /// recognises.
    fn chain(
        &mut self,
        operand: fn(&mut Self) -> Result<(Expr, usize), ParseError>,
        op: fn(&Tok) -> Option<BinOp>,
    ) -> Result<(Expr, usize), ParseError> {
        let (mut lhs, mut depth) = operand(self)?;
        while let Some(o) = op(&self.peek().tok) {
            let t = self.bump();
            let (rhs, d) = operand(self)?;
            depth = 1 + depth.max(d);
            if depth > MAX_DEPTH {
                return Err(too_deep(t.column));
            }
            lhs = Expr::Binary(o, Box::new(lhs), Box::new(rhs));
        }
        Ok((lhs, depth))
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
            // Reported by `units::quantity_error`; parsing goes on so that
            // an earlier problem is reported first.
            Tok::Quantity { value, .. } => Ok((Expr::Number(value), 1)),
            Tok::Path(p) => match p.strip_prefix("baseline") {
                Some("") => {
                    self.baseline_column.get_or_insert(t.column);
                    Ok((Expr::Baseline, 1))
                }
                Some(rest) if rest.starts_with('.') => {
                    Ok((Expr::BaselineMetric(rest[1..].to_string()), 1))
                }
                _ => Ok((Expr::Metric(p), 1)),
            },
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
