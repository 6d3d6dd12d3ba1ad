//! Renderers: every result type of [`crate::report`] and
//! [`crate::analysis`] as a terminal table, JSON, Markdown or CSV. Pure
//! functions from results to text; the CLI decides where the text goes.

pub mod catalog;
pub mod checks;
pub mod compare;
pub mod num;
pub mod plan;
pub mod replicated;
pub mod report_csv;
pub mod report_markdown;
pub mod report_table;
pub mod sweep;
pub mod text_table;

pub(crate) use num::int;
pub use report_csv::{REPORT_COLUMNS, TIMESERIES_COLUMNS, timeseries_csv, to_csv};
pub use report_markdown::{to_markdown, to_markdown_with_charts};
pub use report_table::to_table;
