//! Which ratesim and which catalogue produced an output. Every saved result
//! records both, so a baseline from an older version (or older limits and
//! prices) is recognised instead of silently compared like for like.

use serde::{Deserialize, Serialize};

use crate::model::catalog::CATALOG_DATE;

/// The version of ratesim and the date of its built-in catalogue; written
/// as `"ratesim": {"version": …, "catalogue": …}` in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The crate version (`ratesim --version`).
    pub version: String,
    /// [`CATALOG_DATE`] of that version.
    pub catalogue: String,
}

impl Provenance {
    /// This build's version and catalogue date.
    pub fn current() -> Self {
        Provenance {
            version: env!("CARGO_PKG_VERSION").to_string(),
            catalogue: CATALOG_DATE.to_string(),
        }
    }

    /// One line for Markdown and text footers: `ratesim 0.1.0 · catalogue 2026-12-03`.
    pub fn line(&self) -> String {
        format!("ratesim {} · catalogue {}", self.version, self.catalogue)
    }
}

impl Default for Provenance {
    fn default() -> Self {
        Provenance::current()
    }
}

/// Why a saved result may not be comparable with this build's, in words,
/// or `None` when it was made with the same catalogue. `saved` is `None`
/// for files written before outputs recorded their provenance.
pub fn catalogue_mismatch(saved: Option<&Provenance>) -> Option<String> {
    let now = Provenance::current();
    match saved {
        None => Some(format!(
            "it records no ratesim version or catalogue date (an older ratesim wrote it); \
             this is {}",
            now.line()
        )),
        Some(p) if p.catalogue != now.catalogue => Some(format!(
            "it was made by {}, this is {}: limits or prices may differ",
            p.line(),
            now.line()
        )),
        Some(_) => None,
    }
}

/// A saved result from another ratesim version with the same catalogue:
/// worth a note (the model may have changed), not a warning.
pub fn version_difference(saved: Option<&Provenance>) -> Option<String> {
    let now = Provenance::current();
    match saved {
        Some(p) if p.catalogue == now.catalogue && p.version != now.version => Some(format!(
            "made by ratesim {}, this is {} (same catalogue)",
            p.version, now.version
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `YYYY-MM-DD` in `text`.
    fn iso_dates(text: &str) -> Vec<&str> {
        let b = text.as_bytes();
        (0..b.len().saturating_sub(9))
            .filter(|&i| {
                let d = |k: usize| b[i + k].is_ascii_digit();
                (0..4).all(d)
                    && b[i + 4] == b'-'
                    && d(5)
                    && d(6)
                    && b[i + 7] == b'-'
                    && d(8)
                    && d(9)
                    && (i == 0 || !b[i - 1].is_ascii_digit())
                    && b.get(i + 10).is_none_or(|c| !c.is_ascii_digit())
            })
            .map(|i| &text[i..i + 10])
            .collect()
    }

    #[test]
    fn the_catalogue_date_is_the_newest_date_the_catalogue_quotes() {
        let source = include_str!("../model/catalog.rs");
        let dates = iso_dates(source);
        assert!(dates.len() > 5, "found only {dates:?}");
        assert_eq!(
            dates.iter().max().copied(),
            Some(CATALOG_DATE),
            "a source in model/catalog.rs is newer than CATALOG_DATE: bump it"
        );
        // The constant itself is not its own evidence: some source quotes it.
        assert!(dates.iter().filter(|d| **d == CATALOG_DATE).count() >= 2);
    }

    #[test]
    fn a_different_or_missing_catalogue_date_is_named() {
        let now = Provenance::current();
        assert_eq!(catalogue_mismatch(Some(&now)), None);
        let newer_version = Provenance {
            version: "99.0.0".into(),
            ..now.clone()
        };
        assert_eq!(catalogue_mismatch(Some(&newer_version)), None);
        assert_eq!(
            version_difference(Some(&newer_version)).unwrap(),
            format!(
                "made by ratesim 99.0.0, this is {} (same catalogue)",
                now.version
            )
        );
        assert_eq!(version_difference(Some(&now)), None);
        let old = Provenance {
            version: "0.0.1".into(),
            catalogue: "2020-01-01".into(),
        };
        let msg = catalogue_mismatch(Some(&old)).unwrap();
        assert!(
            msg.contains("ratesim 0.0.1 · catalogue 2020-01-01"),
            "{msg}"
        );
        assert!(msg.contains(CATALOG_DATE), "{msg}");
        assert!(
            catalogue_mismatch(None)
                .unwrap()
                .contains("records no ratesim version")
        );
    }

    #[test]
    fn iso_dates_finds_only_whole_dates() {
        assert_eq!(
            iso_dates("read 2026-04-23, id -20250929, 12026-01-01x 2026-1-01"),
            ["2026-04-23"]
        );
    }
}
