//! Assertion verdicts in every format.

use crate::analysis::checks::AssertionVerdict;

/// A report as pretty JSON, with an `assertions` array when there are any.
pub fn json_with_assertions<T: serde::Serialize + ?Sized>(
    report: &T,
    verdicts: &[AssertionVerdict],
) -> String {
    use crate::report::json;
    if verdicts.is_empty() {
        return json::pretty(report);
    }
    let mut v = json::value(report);
    if let serde_json::Value::Object(m) = &mut v {
        m.insert("assertions".into(), json::value(verdicts));
    }
    json::pretty(&v)
}

/// The verdicts as text (or Markdown), empty when there are none.
pub fn assertion_text(verdicts: &[AssertionVerdict], markdown: bool) -> String {
    if verdicts.is_empty() {
        return String::new();
    }
    let failed = verdicts.iter().filter(|v| !v.passed).count();
    let mut s = if markdown {
        format!(
            "\n## Assertions: {}\n\n",
            if failed == 0 {
                "all passed".to_string()
            } else {
                format!("{failed} failed")
            }
        )
    } else {
        format!(
            "\nassertions: {} passed, {failed} failed\n",
            verdicts.len() - failed
        )
    };
    for v in verdicts {
        let mark = if v.passed { "pass" } else { "FAIL" };
        if markdown {
            s.push_str(&format!("- **{mark}** `{}` — {}\n", v.strategy, v.message));
        } else {
            s.push_str(&format!("  {mark}  {}: {}\n", v.strategy, v.message));
        }
    }
    s
}
