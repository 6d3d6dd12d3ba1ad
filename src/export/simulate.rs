//! `simulate` (one run per strategy): the report in every format, with its
//! assertion verdicts and, in Markdown, the charts it embeds.

use crate::analysis::checks::AssertionVerdict;
use crate::export::checks::{assertion_text, json_with_assertions};
use crate::export::{Format, Render, Unsupported};
use crate::report::Report;

impl Render for Report {
    fn name(&self) -> &'static str {
        "a simulate report"
    }

    fn render(&self, format: Format) -> Result<String, Unsupported> {
        Simulated::new(self).render(format)
    }
}

/// What `simulate` prints: the report, the verdicts of its assertions and
/// the charts `report.md` embeds.
#[derive(Clone, Copy, Debug)]
pub struct Simulated<'a> {
    /// The report.
    pub report: &'a Report,
    /// Assertion verdicts (empty: none were asked for).
    pub assertions: &'a [AssertionVerdict],
    /// `(title, file)` of charts for Markdown to embed.
    pub charts: &'a [(String, String)],
}

impl<'a> Simulated<'a> {
    /// The report alone.
    pub fn new(report: &'a Report) -> Simulated<'a> {
        Simulated {
            report,
            assertions: &[],
            charts: &[],
        }
    }

    /// With assertion verdicts: JSON gains an `assertions` array, the table
    /// and Markdown a section after the results. CSV stays a clean table
    /// (print [`Simulated::assertions_text`] elsewhere, e.g. stderr).
    pub fn with_assertions(self, assertions: &'a [AssertionVerdict]) -> Simulated<'a> {
        Simulated { assertions, ..self }
    }

    /// With charts for Markdown to embed (`report.md` of `--out DIR`).
    pub fn with_charts(self, charts: &'a [(String, String)]) -> Simulated<'a> {
        Simulated { charts, ..self }
    }

    /// The assertion verdicts as plain text (empty when there are none).
    pub fn assertions_text(&self) -> String {
        assertion_text(self.assertions, false)
    }
}

impl Render for Simulated<'_> {
    fn name(&self) -> &'static str {
        "a simulate report"
    }

    fn render(&self, format: Format) -> Result<String, Unsupported> {
        let r = self.report;
        Ok(match format {
            Format::Table => crate::export::to_table(r) + &assertion_text(self.assertions, false),
            Format::Json => json_with_assertions(r, self.assertions),
            Format::Markdown => {
                crate::export::to_markdown_with_charts(r, self.charts)
                    + &assertion_text(self.assertions, true)
            }
            Format::Csv => crate::export::to_csv(r),
        })
    }
}
