//! `assert:`: checks a gate applies to the results, parsed now so a typo
//! fails validation rather than the run.

use serde_saphyr::Spanned;

use crate::assertions::Assertion;
use crate::scenario::error::source_lines;
use crate::scenario::{Cx, ErrorKind, ScenarioError};
use crate::strategy::StrategySpec;

pub(in crate::scenario) fn assertions(
    cx: &Cx,
    raw: &[Spanned<String>],
    strategies: &[StrategySpec],
) -> Result<Vec<Assertion>, ScenarioError> {
    let mut out = Vec::new();
    for a in raw {
        let parsed = Assertion::parse(&a.value).map_err(|e| {
            // Point into the file: the value's column plus the column in
            // the expression (one more when the value is quoted), when the
            // expression is written as is on one line; otherwise (a scalar
            // folded over lines, escapes) at the value.
            let loc = a.referenced;
            let rest: String = source_lines(cx.text)
                .nth(loc.line().saturating_sub(1) as usize)
                .unwrap_or_default()
                .chars()
                .skip(loc.column().saturating_sub(1) as usize)
                .collect();
            let quoted = rest.starts_with(['"', '\'']);
            let verbatim = rest[quoted as usize..].starts_with(a.value.as_str());
            let col = if verbatim {
                loc.column() + e.column as u64 - 1 + quoted as u64
            } else {
                loc.column()
            };
            ScenarioError::at_position(
                cx.file,
                cx.text,
                loc.line(),
                col,
                ErrorKind::Syntax,
                format!("assert: {}", e.message),
            )
        })?;
        if let Some(st) = &parsed.strategy
            && !strategies.iter().any(|s| &s.name == st)
        {
            return Err(cx.unknown(
                &a.referenced,
                st,
                strategies.iter().map(|s| s.name.as_str()),
                format!("assert: no strategy `{st}` in this scenario"),
            ));
        }
        out.push(parsed);
    }
    Ok(out)
}
