//! Assertions judged on results: which held, which failed and by how much.

use crate::analysis::baseline::BaselineFile;
use crate::analysis::compare::mean_value;
use crate::assertions::{Assertion, EvalError, ParseError, UnknownStrategy};
use crate::scenario::Scenario;

/// Why assertions could not be judged: a `--assert` flag that is not an
/// assertion of this scenario, or one that cannot be evaluated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// A `--assert` flag that does not parse; the message shows the flag
    /// with a caret under the column.
    #[error("--assert '{flag}': {source}\n{}", .source.render(.flag))]
    Parse {
        /// The flag as given.
        flag: String,
        /// Where and why it does not parse.
        source: ParseError,
    },
    /// A `--assert NAME: …` whose prefix names no strategy of the scenario.
    #[error("--assert '{flag}': {source}")]
    UnknownStrategy {
        /// The flag as given.
        flag: String,
        /// The name, with close names.
        source: UnknownStrategy,
    },
    /// An assertion that uses `baseline` when there is no baseline result
    /// for its strategy.
    #[error(
        "assertion `{assertion}` uses `baseline`: pass --against FILE holding strategy `{strategy}`"
    )]
    NoBaseline {
        /// The assertion as written.
        assertion: String,
        /// The strategy it was judged on.
        strategy: String,
    },
    /// An assertion that gives no verdict on a result (an unknown metric).
    #[error(transparent)]
    Eval(#[from] EvalError),
}

/// The scenario's `assert:` block plus `--assert` flags, parsed. A malformed
/// flag is a usage error naming its column.
pub fn assertions(scenario: &Scenario, flags: &[String]) -> Result<Vec<Assertion>, CheckError> {
    let mut out = scenario.assertions.clone();
    for f in flags {
        let a = Assertion::parse(f).map_err(|source| CheckError::Parse {
            flag: f.clone(),
            source,
        })?;
        a.check_strategy(scenario.strategies.iter().map(|s| s.name.as_str()))
            .map_err(|source| CheckError::UnknownStrategy {
                flag: f.clone(),
                source,
            })?;
        out.push(a);
    }
    Ok(out)
}

/// Evaluates assertions on one strategy's result; returns the failures as
/// messages. An assertion that cannot be evaluated (unknown metric) is an
/// error.
pub fn judge_point(
    checks: &[Assertion],
    strategy: &str,
    result: &serde_json::Value,
) -> Result<Vec<String>, CheckError> {
    judge(checks, strategy, result, None)
}

/// Like [`judge_point`], with an optional baseline result.
pub fn judge(
    checks: &[Assertion],
    strategy: &str,
    result: &serde_json::Value,
    baseline: Option<&serde_json::Value>,
) -> Result<Vec<String>, CheckError> {
    Ok(judge_all(checks, strategy, result, baseline)?.failed)
}

/// The messages of the assertions that held and of those that failed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Judged {
    /// Assertions that held, with their margin.
    pub held: Vec<String>,
    /// Assertions that failed, with by how much.
    pub failed: Vec<String>,
}

/// Like [`judge`], keeping the assertions that held too.
pub fn judge_all(
    checks: &[Assertion],
    strategy: &str,
    result: &serde_json::Value,
    baseline: Option<&serde_json::Value>,
) -> Result<Judged, CheckError> {
    let mut out = Judged::default();
    for a in checks.iter().filter(|a| a.applies_to(strategy)) {
        let c = a.evaluate(result, baseline)?;
        if c.passed {
            out.held.push(c.message);
        } else {
            out.failed.push(c.message);
        }
    }
    Ok(out)
}

/// One assertion's verdict on one strategy.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AssertionVerdict {
    /// Strategy.
    pub strategy: String,
    /// The assertion as written.
    pub assertion: String,
    /// Whether it held.
    pub passed: bool,
    /// What was compared, and by how much it missed or held.
    pub message: String,
}
/// Evaluates assertions on each named result (a strategy's JSON), with
/// the baseline's mean values when `against` holds that strategy.
pub fn check_values(
    results: &[(String, serde_json::Value)],
    checks: &[Assertion],
    against: Option<&BaselineFile>,
) -> Result<Vec<AssertionVerdict>, CheckError> {
    let mut out = Vec::new();
    for (name, v) in results {
        let base = against
            .and_then(|b| b.strategies.iter().find(|s| &s.strategy == name))
            .map(|s| mean_value(&s.runs));
        for a in checks.iter().filter(|a| a.applies_to(name)) {
            if a.uses_baseline() && base.is_none() {
                return Err(CheckError::NoBaseline {
                    assertion: a.source().to_string(),
                    strategy: name.clone(),
                });
            }
            let c = a.evaluate(v, base.as_ref())?;
            out.push(AssertionVerdict {
                strategy: name.clone(),
                assertion: a.source().to_string(),
                passed: c.passed,
                message: c.message,
            });
        }
    }
    Ok(out)
}

/// Evaluates assertions on single-run results.
pub fn check_results(
    results: &[crate::report::StrategyResult],
    checks: &[Assertion],
    against: Option<&BaselineFile>,
) -> Result<Vec<AssertionVerdict>, CheckError> {
    let values: Vec<(String, serde_json::Value)> = results
        .iter()
        .map(|r| (r.strategy.clone(), crate::report::json::value(r)))
        .collect();
    check_values(&values, checks, against)
}
