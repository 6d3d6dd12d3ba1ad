//! `ratesim tiers`: the built-in catalogue (rate-limit profiles, prices,
//! prompt-cache minimums, Batch API limits) as a report, with every figure's
//! source and date. Serde data plus two renderers: a terminal table and JSON.

use serde::Serialize;

use crate::model::catalog::{
    self, BATCH_DISCOUNT, BATCH_EXPIRY_HOURS, BATCH_MAX_MB, BATCH_MAX_REQUESTS, ModelInfo, Profile,
};

/// Version of the JSON layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// What the user asked for that the catalogue does not have.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// `--model` names no known model.
    #[error("unknown model `{0}`, expected one of {known}", known = catalog::model_ids().join(", "))]
    UnknownModel(String),
    /// `--profile` names no known profile.
    #[error("unknown profile `{0}`, expected one of {known}", known = catalog::profile_names().join(", "))]
    UnknownProfile(String),
}

/// The whole catalogue, or the part a `--model`/`--profile` selects.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogReport {
    /// JSON layout version.
    pub schema_version: u32,
    /// The ratesim version and catalogue date.
    pub ratesim: super::Provenance,
    /// The model asked for (`--model`), resolved to its catalogue id.
    pub model: Option<&'static str>,
    /// Rate-limit profiles, in catalogue order.
    pub profiles: Vec<ProfileReport>,
    /// Per-model prices and cache minimums.
    pub models: Vec<ModelReport>,
    /// Batch API facts shared by all profiles.
    pub batch_api: BatchApiReport,
    /// Sources of the figures not tied to one profile.
    pub sources: Vec<SourceReport>,
}

/// One profile.
#[derive(Clone, Debug, Serialize)]
pub struct ProfileReport {
    /// Name a scenario's `tier:` uses.
    pub name: &'static str,
    /// Human-readable title.
    pub title: &'static str,
    /// False for profiles from third-party material.
    pub official: bool,
    /// `official`, or the unofficial label.
    pub label: &'static str,
    /// Where the figures come from.
    pub source: &'static str,
    /// When the source was read (ISO date).
    pub read: &'static str,
    /// Credit thresholds and spend caps, whole USD.
    pub spend: SpendReport,
    /// Per-pool limits (only the selected model's pool with `--model`).
    pub pools: Vec<PoolReport>,
    /// Pools of the selected models the profile gives no figures for.
    pub pools_without_figures: Vec<&'static str>,
    /// Message Batches API limits (shared across models), if published.
    pub batch: Option<BatchReport>,
    /// Caveats.
    pub notes: Vec<&'static str>,
}

/// Money figures of a profile, whole USD; null where the source gives none.
#[derive(Clone, Debug, Serialize)]
pub struct SpendReport {
    /// Cumulative credit purchase that reaches the profile.
    pub credit_purchase_usd: Option<u64>,
    /// Largest single credit purchase.
    pub max_single_purchase_usd: Option<u64>,
    /// Monthly spend cap.
    pub monthly_limit_usd: Option<u64>,
}

/// One pool's limits per minute; null where not published.
#[derive(Clone, Debug, Serialize)]
pub struct PoolReport {
    /// Pool name.
    pub pool: &'static str,
    /// Models sharing the pool.
    pub models: Vec<&'static str>,
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Input tokens per minute.
    pub itpm: Option<u64>,
    /// Output tokens per minute.
    pub otpm: Option<u64>,
    /// Combined input + output tokens per minute.
    pub tpm: Option<u64>,
}

/// Batch API limits of a profile.
#[derive(Clone, Debug, Serialize)]
pub struct BatchReport {
    /// Requests per minute over all batch endpoints.
    pub rpm: u64,
    /// Batch requests allowed in the processing queue.
    pub max_queued_requests: u64,
    /// Requests per batch.
    pub max_batch_requests: u64,
}

/// One model's prices (USD per million tokens) and cache minimum.
#[derive(Clone, Debug, Serialize)]
pub struct ModelReport {
    /// Model id.
    pub id: &'static str,
    /// Rate-limit pool.
    pub pool: &'static str,
    /// List prices.
    pub prices: PriceReport,
    /// Shortest cacheable prefix, tokens.
    pub min_cacheable_tokens: u64,
    /// Whether cache reads count toward ITPM (the † models).
    pub itpm_counts_cache_reads: bool,
}

/// Prices in USD per million tokens, rounded to 4 decimals.
#[derive(Clone, Debug, Serialize)]
pub struct PriceReport {
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache write, 5-minute TTL.
    pub cache_write_5m: f64,
    /// Cache write, 1-hour TTL.
    pub cache_write_1h: f64,
    /// Cache read.
    pub cache_read: f64,
    /// Uncached input through the Batch API.
    pub batch_input: f64,
    /// Output through the Batch API.
    pub batch_output: f64,
}

/// Batch API facts shared by every profile.
#[derive(Clone, Debug, Serialize)]
pub struct BatchApiReport {
    /// Price factor (stacks with caching).
    pub discount: f64,
    /// Requests per batch.
    pub max_requests_per_batch: u64,
    /// Batch size, MB.
    pub max_batch_mb: u64,
    /// Unfinished batches expire after this many hours.
    pub expiry_hours: u64,
    /// Source.
    pub source: &'static str,
}

/// A source line.
#[derive(Clone, Debug, Serialize)]
pub struct SourceReport {
    /// What it is the source of.
    pub topic: &'static str,
    /// The source, with the date it was read.
    pub source: &'static str,
}

fn round4(x: f64) -> f64 {
    crate::text::num::round(x, 4)
}

fn model_report(m: &ModelInfo) -> ModelReport {
    let p = m.prices;
    let b = p.batch();
    ModelReport {
        id: m.id,
        pool: m.pool,
        prices: PriceReport {
            input: round4(p.input),
            output: round4(p.output),
            cache_write_5m: round4(p.cache_write_5m),
            cache_write_1h: round4(p.cache_write_1h),
            cache_read: round4(p.cache_read),
            batch_input: round4(b.input),
            batch_output: round4(b.output),
        },
        min_cacheable_tokens: m.min_cacheable_tokens,
        itpm_counts_cache_reads: m.itpm_counts_cache_reads,
    }
}

fn profile_report(p: &Profile, pools: &[&'static str]) -> ProfileReport {
    ProfileReport {
        name: p.name,
        title: p.title,
        official: p.official,
        label: if p.official {
            "official"
        } else {
            catalog::UNOFFICIAL_LABEL
        },
        source: p.source,
        read: p.read,
        spend: SpendReport {
            credit_purchase_usd: p.spend.credit_purchase_usd,
            max_single_purchase_usd: p.spend.max_single_purchase_usd,
            monthly_limit_usd: p.spend.monthly_limit_usd,
        },
        pools: p
            .pools
            .iter()
            .filter(|r| pools.contains(&r.pool))
            .map(|r| PoolReport {
                pool: r.pool,
                models: catalog::pool_models(r.pool),
                rpm: r.rpm,
                itpm: r.itpm,
                otpm: r.otpm,
                tpm: r.tpm,
            })
            .collect(),
        pools_without_figures: pools
            .iter()
            .copied()
            .filter(|pool| !p.pools.iter().any(|r| r.pool == *pool))
            .collect(),
        batch: p.batch.map(|b| BatchReport {
            rpm: b.rpm,
            max_queued_requests: b.max_queued_requests,
            max_batch_requests: b.max_batch_requests,
        }),
        notes: p.source_notes.iter().chain(p.notes).copied().collect(),
    }
}

impl CatalogReport {
    /// Builds the report for an optional model id (dated ids and aliases
    /// accepted) and an optional profile name.
    pub fn build(model: Option<&str>, profile: Option<&str>) -> Result<Self, CatalogError> {
        let model = match model {
            Some(id) => Some(
                catalog::find_model(id)
                    .ok_or_else(|| CatalogError::UnknownModel(id.to_string()))?,
            ),
            None => None,
        };
        let profiles: Vec<&Profile> = match profile {
            Some(name) => vec![
                catalog::profile(name)
                    .ok_or_else(|| CatalogError::UnknownProfile(name.to_string()))?,
            ],
            None => catalog::PROFILES.iter().collect(),
        };
        let pools = match model {
            Some(m) => vec![m.pool],
            None => catalog::pool_names(),
        };
        let models = match model {
            Some(m) => vec![model_report(m)],
            None => catalog::MODELS.iter().map(model_report).collect(),
        };
        Ok(CatalogReport {
            schema_version: SCHEMA_VERSION,
            ratesim: super::Provenance::current(),
            model: model.map(|m| m.id),
            profiles: profiles
                .into_iter()
                .map(|p| profile_report(p, &pools))
                .collect(),
            models,
            batch_api: BatchApiReport {
                discount: BATCH_DISCOUNT,
                max_requests_per_batch: BATCH_MAX_REQUESTS,
                max_batch_mb: BATCH_MAX_MB,
                expiry_hours: BATCH_EXPIRY_HOURS,
                source: catalog::BATCH_SOURCE,
            },
            sources: vec![
                SourceReport {
                    topic: "prices",
                    source: catalog::PRICES_SOURCE,
                },
                SourceReport {
                    topic: "minimum cacheable prompt",
                    source: catalog::CACHE_SOURCE,
                },
                SourceReport {
                    topic: "batch API",
                    source: catalog::BATCH_SOURCE,
                },
                SourceReport {
                    topic: "latency",
                    source: catalog::LATENCY_SOURCE,
                },
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_model_and_profile_are_errors_listing_the_known_ones() {
        let e = CatalogReport::build(Some("gpt-4o"), None).unwrap_err();
        assert!(e.to_string().contains("claude-sonnet-4-5"));
        let e = CatalogReport::build(None, Some("tier9")).unwrap_err();
        assert!(e.to_string().contains("seed-guide-2026/free"));
    }

    #[test]
    fn model_selection_keeps_only_its_pool() {
        let r = CatalogReport::build(Some("claude-haiku-4-5-20251001"), None).unwrap();
        assert_eq!(r.model, Some("claude-haiku-4-5"));
        assert_eq!(r.models.len(), 1);
        let t4 = r.profiles.iter().find(|p| p.name == "tier4").unwrap();
        assert_eq!(t4.pools.len(), 1);
        assert_eq!(t4.pools[0].pool, "haiku-4-5");
        let free = r
            .profiles
            .iter()
            .find(|p| p.name == "seed-guide-2026/free")
            .unwrap();
        assert!(free.pools.is_empty());
        assert_eq!(free.pools_without_figures, vec!["haiku-4-5"]);
    }

    #[test]
    fn prices_are_rounded_for_json() {
        let r = CatalogReport::build(Some("claude-sonnet-4-5"), None).unwrap();
        assert_eq!(r.models[0].prices.cache_read, 0.3);
        assert_eq!(r.models[0].prices.batch_output, 7.5);
    }
}
