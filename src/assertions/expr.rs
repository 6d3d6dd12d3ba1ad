//! The expression tree, and its canonical rendering.

use std::fmt;

/// `+`, `-`, `*` or `/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub(super) fn precedence(self) -> u8 {
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

/// One side of an assertion.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Expr {
    /// A literal (never negative: `-1` is `Neg(1)`).
    Number(f64),
    /// A metric of the result being checked, dotted.
    Metric(String),
    /// `baseline.PATH`.
    BaselineMetric(String),
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

    /// The distinct metric paths of the result it reads, in order.
    pub(super) fn metric_paths<'e>(&'e self, out: &mut Vec<&'e str>) {
        match self {
            Expr::Metric(p) => {
                if !out.contains(&p.as_str()) {
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

    pub(super) fn reads_baseline(&self) -> bool {
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
            Expr::Metric(p) => f.write_str(p),
            Expr::BaselineMetric(p) => write!(f, "baseline.{p}"),
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
