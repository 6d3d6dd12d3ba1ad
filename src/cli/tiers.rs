//! `ratesim tiers`: the built-in catalogue.

use super::args::Format;
use super::{CliError, print};
use crate::report::catalog::CatalogReport;

/// Arguments of `ratesim tiers`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim tiers
  ratesim tiers --model claude-sonnet-4-5
  ratesim tiers --profile tier2 --format json")]
pub struct TiersArgs {
    /// Only this model's pool and prices (dated ids and aliases accepted).
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Only this profile (a name a scenario's `tier:` accepts).
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,
    /// Output format on stdout.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    format: Format,
}

/// Prints the catalogue, or the part of it asked for.
pub fn run(args: &TiersArgs) -> Result<(), CliError> {
    let report = CatalogReport::build(args.model.as_deref(), args.profile.as_deref())
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let text = crate::export::render(&report, args.format.into())?;
    print(&text);
    Ok(())
}
