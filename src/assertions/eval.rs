//! Evaluation: metric lookup through [`crate::path`], arithmetic, and the
//! verdict's message.

use serde_json::Value;

use super::error::EvalError;
use super::expr::{BinOp, Expr};
use super::lex::quote;
use super::{Assertion, Check, Comparison};
use crate::path::{self, PathError};

/// Why evaluation stopped before a verdict.
enum Halt {
    /// A metric it reads is `null` (no samples): the check fails.
    NoValue { metric: String, baseline: bool },
    /// No verdict is possible.
    Error(EvalError),
}

struct Env<'v> {
    assertion: &'v Assertion,
    result: &'v Value,
    baseline: Option<&'v Value>,
}

/// See [`Assertion::evaluate`].
pub(super) fn evaluate(
    a: &Assertion,
    result: &Value,
    baseline: Option<&Value>,
) -> Result<Check, EvalError> {
    let env = Env {
        assertion: a,
        result,
        baseline,
    };
    let (lhs, rhs) = (env.eval(&a.lhs), env.eval(&a.rhs));
    let (l, r) = match (lhs, rhs) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(Halt::Error(e)), _) | (_, Err(Halt::Error(e))) => return Err(e),
        (l, r) => {
            let (metric, baseline) = match (&l, &r) {
                (Err(Halt::NoValue { metric, baseline }), _)
                | (_, Err(Halt::NoValue { metric, baseline })) => (metric.clone(), *baseline),
                _ => (String::new(), false),
            };
            return Ok(Check {
                passed: false,
                lhs: l.ok(),
                rhs: r.ok(),
                message: format!(
                    "{}: no value — {}",
                    a.expression,
                    no_value(&metric, baseline)
                ),
                no_value: Some(if baseline {
                    format!("baseline.{metric}")
                } else {
                    metric
                }),
            });
        }
    };
    let passed = a.comparison.holds(l, r);
    let (head, mut details) = verdict(a.comparison, l, r, passed);
    if let (Some(m), Some(b)) = (&a.baseline_metric, baseline)
        && let Ok(v) = env.lookup(b, m, true)
    {
        details.push(format!("baseline {m} = {}", fmt_num(v)));
    }
    let mut message = format!("{}: {head}", a.expression);
    if !details.is_empty() {
        message.push_str(&format!(" ({})", details.join("; ")));
    }
    Ok(Check {
        passed,
        lhs: Some(l),
        rhs: Some(r),
        no_value: None,
        message,
    })
}

/// `latency_ms.p99 has no samples (no request of this class succeeded)`:
/// the metric without its `by_class.NAME.` (or `by_model.NAME.`) prefix,
/// which the assertion's expression already shows.
fn no_value(metric: &str, baseline: bool) -> String {
    let segs: Vec<&str> = metric.split('.').collect();
    let (shown, scope) = match segs.as_slice() {
        ["by_class", _, rest @ ..] if !rest.is_empty() => (rest.join("."), " of this class"),
        ["by_model", _, rest @ ..] if !rest.is_empty() => (rest.join("."), " to this model"),
        _ => (metric.to_string(), ""),
    };
    let whose = if baseline { "the baseline's " } else { "" };
    let why = if shown.starts_with("latency_ms") {
        format!(" (no request{scope} succeeded)")
    } else {
        String::new()
    };
    format!("{whose}{shown} has no samples{why}")
}

impl Env<'_> {
    fn expression(&self) -> String {
        self.assertion.expression.clone()
    }

    fn eval(&self, e: &Expr) -> Result<f64, Halt> {
        match e {
            Expr::Number(v) => Ok(*v),
            Expr::Metric(p) => self.lookup(self.result, p, false),
            Expr::BaselineMetric(p) => {
                let Some(b) = self.baseline else {
                    return Err(Halt::Error(EvalError::NoBaseline {
                        expression: self.expression(),
                        what: format!("`baseline.{p}`"),
                    }));
                };
                self.lookup(b, p, true)
            }
            Expr::Baseline => {
                let metric = self.assertion.baseline_metric.as_deref().unwrap_or("");
                match self.baseline {
                    Some(b) => self.lookup(b, metric, true),
                    None => Err(Halt::Error(EvalError::NoBaseline {
                        expression: self.expression(),
                        what: format!("`baseline` (the baseline's `{metric}`)"),
                    })),
                }
            }
            Expr::Neg(x) => Ok(-self.eval(x)?),
            Expr::Binary(op, l, r) => {
                // Both sides first, so an unknown metric is reported even
                // next to one with no value.
                let (a, b) = match (self.eval(l), self.eval(r)) {
                    (Ok(a), Ok(b)) => (a, b),
                    (Err(Halt::Error(e)), _) | (_, Err(Halt::Error(e))) => {
                        return Err(Halt::Error(e));
                    }
                    (Err(h), _) | (_, Err(h)) => return Err(h),
                };
                let v = match op {
                    BinOp::Add => a + b,
                    BinOp::Sub => a - b,
                    BinOp::Mul => a * b,
                    BinOp::Div if b == 0.0 => {
                        return Err(Halt::Error(EvalError::DivisionByZero {
                            expression: self.expression(),
                            divisor: r.to_string(),
                        }));
                    }
                    BinOp::Div => a / b,
                };
                if v.is_finite() {
                    Ok(v)
                } else {
                    Err(Halt::Error(EvalError::Overflow {
                        expression: self.expression(),
                        subexpression: e.to_string(),
                        operation: format!("{} {op} {}", fmt_num(a), fmt_num(b)),
                    }))
                }
            }
        }
    }

    /// The number at `metric` in `root` (the baseline result when
    /// `baseline`).
    fn lookup(&self, root: &Value, metric: &str, baseline: bool) -> Result<f64, Halt> {
        let not_a_number = |found: String, choices: Vec<String>| {
            Halt::Error(EvalError::NotANumber {
                expression: self.expression(),
                metric: metric.to_string(),
                baseline,
                found,
                choices,
            })
        };
        let v = path::get(root, metric).map_err(|cause| {
            Halt::Error(EvalError::UnknownMetric {
                expression: self.expression(),
                metric: metric.to_string(),
                baseline,
                hint: subtract_hint(metric, &cause),
                cause: Box::new(cause),
            })
        })?;
        match v {
            Value::Number(n) => n
                .as_f64()
                .filter(|x| x.is_finite())
                .ok_or_else(|| not_a_number("not representable".into(), vec![])),
            Value::Null => Err(Halt::NoValue {
                metric: metric.to_string(),
                baseline,
            }),
            Value::Object(_) | Value::Array(_) => {
                let choices: Vec<String> = path::leaves(v)
                    .into_keys()
                    .map(|k| format!("{metric}.{k}"))
                    .collect();
                let found = match (v, choices.is_empty()) {
                    (Value::Object(_), true) => "a group with no numbers in it",
                    (_, _) => path::kind(v),
                };
                Err(not_a_number(found.to_string(), choices))
            }
            Value::String(s) => Err(not_a_number(format!("text ({})", quote(s)), vec![])),
            Value::Bool(b) => Err(not_a_number(b.to_string(), vec![])),
        }
    }
}

/// `cost_usd-1` is one path segment; the user probably meant a subtraction.
fn subtract_hint(metric: &str, cause: &PathError) -> String {
    let PathError::NoKey {
        at, segment, keys, ..
    } = cause
    else {
        return String::new();
    };
    let Some((before, after)) = segment.split_once('-') else {
        return String::new();
    };
    if !keys.iter().any(|k| k == before) {
        return String::new();
    }
    let prefix = if at.is_empty() {
        String::new()
    } else {
        format!("{at}.")
    };
    let rest = metric.get(prefix.len() + segment.len()..).unwrap_or("");
    format!("; to subtract, put spaces around '-': `{prefix}{before} - {after}{rest}`")
}

/// Formats a number for messages: integers plainly, others to at most six
/// decimals, very large or small magnitudes in exponent form.
pub(super) fn fmt_num(v: f64) -> String {
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
