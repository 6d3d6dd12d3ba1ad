//! `ratesim tiers`: the built-in catalogue.

use clap::ValueEnum;

use super::{CliError, print};
use crate::report::catalog::CatalogReport;

/// Arguments of `ratesim tiers`.
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

/// Prints the catalogue, or the part of it asked for.
pub fn run(args: &TiersArgs) -> Result<(), CliError> {
    let report = CatalogReport::build(args.model.as_deref(), args.profile.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let text = match args.format {
        TiersFormat::Table => report.to_table(),
        TiersFormat::Json => report.to_json(),
    };
    print(&text);
    Ok(())
}
