//! Renderers: every result type of [`crate::report`] and
//! [`crate::analysis`] as a terminal table, JSON, Markdown or CSV. Pure
//! functions from results to text; the CLI decides where the text goes.
//!
//! One entry point, in the spirit of hyperfine's exporters: a result type
//! implements [`Render`], and [`render`]`(&result, format)` gives its text
//! in any [`Format`], or [`Unsupported`] when that format makes no sense
//! for it. Every result type renders every format:
//!
//! | result | type | table | JSON | Markdown | CSV |
//! |---|---|---|---|---|---|
//! | `simulate` | [`crate::report::Report`], or [`Simulated`] with assertions | ✓ | ✓ | ✓ | one row per strategy and class |
//! | `simulate -n N` | [`replicated::ReplicatedReport`] | ✓ | ✓ | ✓ | one row per strategy and metric |
//! | `compare` | [`crate::analysis::gate::CompareReport`] | ✓ | ✓ | ✓ | one row per comparison and metric |
//! | `sweep`, `merge` | [`crate::analysis::sweep::SweepReport`] | ✓ | ✓ | ✓ | one row per point |
//! | `plan` | [`crate::analysis::plan::Plan`] | ✓ | ✓ | ✓ (the request) | one row per month and pool |
//! | `tiers` | [`crate::report::catalog::CatalogReport`] | ✓ | ✓ | ✓ | one row per profile and pool |
//!
//! Numbers go through [`num`] and aligned text through [`text_table`].

pub mod catalog;
pub mod checks;
pub mod compare;
pub mod num;
pub mod plan;
pub mod replicated;
pub mod report_csv;
pub mod report_markdown;
pub mod report_table;
pub mod simulate;
pub mod sweep;
pub mod text_table;

pub(crate) use num::int;
pub use report_csv::{REPORT_COLUMNS, TIMESERIES_COLUMNS, timeseries_csv, to_csv};
pub use report_markdown::{to_markdown, to_markdown_with_charts};
pub use report_table::to_table;
pub use simulate::Simulated;

/// The last line of every Markdown output: which ratesim and which
/// catalogue made it, so a pasted report says what its numbers rest on.
pub(crate) fn made_with(p: Option<&crate::report::Provenance>) -> String {
    match p {
        Some(p) => format!("\n_Made with {}._\n", p.line()),
        None => String::new(),
    }
}

/// An output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Aligned text for a terminal.
    Table,
    /// Pretty JSON (`schema_version` 1), the full data.
    Json,
    /// Markdown for a pull request or a document.
    Markdown,
    /// CSV with a header row and unformatted numbers.
    Csv,
}

impl Format {
    /// Every format, in the order `--format` lists them.
    pub const ALL: [Format; 4] = [Format::Table, Format::Json, Format::Markdown, Format::Csv];

    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::Markdown => "markdown",
            Format::Csv => "csv",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A format name [`Format`] does not know.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown format `{0}`, expected table, json, markdown or csv")]
pub struct UnknownFormat(pub String);

impl std::str::FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Format, UnknownFormat> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// A result has no rendering in a format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// The result, in words (`"a sweep"`).
    pub result: &'static str,
    /// The format asked for.
    pub format: Format,
}

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} has no {} output", self.result, self.format)
    }
}

impl std::error::Error for Unsupported {}

/// A result that renders as text.
pub trait Render {
    /// The result, in words, for [`Unsupported`].
    fn name(&self) -> &'static str;

    /// The result in `format`.
    fn render(&self, format: Format) -> Result<String, Unsupported>;
}

/// `result` in `format`: the one call the CLI makes for any output.
pub fn render<R: Render + ?Sized>(result: &R, format: Format) -> Result<String, Unsupported> {
    result.render(format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_their_names() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>(), Ok(f));
        }
        assert_eq!(
            "yaml".parse::<Format>().unwrap_err().to_string(),
            "unknown format `yaml`, expected table, json, markdown or csv"
        );
        let u = Unsupported {
            result: "a sweep",
            format: Format::Csv,
        };
        assert_eq!(u.to_string(), "a sweep has no csv output");
    }
}
