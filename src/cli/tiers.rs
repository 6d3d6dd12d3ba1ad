//! `ratesim tiers`: the built-in catalogue.

use std::io::Write;

use clap::ValueEnum;

use super::{Failure, usage};
use crate::report::catalog::CatalogReport;

#[derive(Debug, clap::Args)]
pub struct TiersArgs {
    /// Only this model's pool and prices (dated ids and aliases accepted).
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Only this profile (a name a scenario's `tier:` accepts).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = TiersFormat::Table)]
    format: TiersFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum TiersFormat {
    Table,
    Json,
}

pub fn tiers(args: &TiersArgs) -> Result<(), Failure> {
    let report = CatalogReport::build(args.model.as_deref(), args.profile.as_deref())
        .map_err(|e| usage(e.to_string()))?;
    let text = match args.format {
        TiersFormat::Table => report.to_table(),
        TiersFormat::Json => report.to_json(),
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
    Ok(())
}
