//! Built-in facts about Claude models: which pool each shares, list prices,
//! tier limits and assumed latency. Every figure carries its source; a
//! scenario may override any of them.

use super::pool::PoolLimits;

/// Where the tier limits come from.
pub const LIMITS_SOURCE: &str = "Anthropic rate-limits documentation, \
https://platform.claude.com/docs/en/api/rate-limits (Tier 1-4 tables, copy fetched 2026-04-23)";

/// Where the prices come from.
pub const PRICES_SOURCE: &str = "Anthropic pricing documentation, \
https://platform.claude.com/docs/en/about-claude/pricing (last verified 2026-08-07)";

/// Latency figures are not published; these are assumptions to override.
pub const LATENCY_SOURCE: &str = "assumed typical values (not published by Anthropic); \
override under `latency.models` in the scenario";

/// List prices in USD per million tokens.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Prices {
    /// Uncached input.
    pub input: f64,
    /// Output.
    pub output: f64,
    /// Cache write with the 5-minute TTL (1.25 × input).
    pub cache_write_5m: f64,
    /// Cache write with the 1-hour TTL (2 × input).
    pub cache_write_1h: f64,
    /// Cache read (0.1 × input).
    pub cache_read: f64,
}

const fn prices(input: f64, output: f64) -> Prices {
    Prices {
        input,
        output,
        cache_write_5m: input * 1.25,
        cache_write_1h: input * 2.0,
        cache_read: input * 0.1,
    }
}

/// One model as the catalogue knows it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ModelInfo {
    /// API model id (without a date suffix).
    pub id: &'static str,
    /// The rate-limit pool it shares with other models.
    pub pool: &'static str,
    /// List prices.
    pub prices: Prices,
    /// True for models (marked † in the docs) whose cache reads count toward ITPM.
    pub itpm_counts_cache_reads: bool,
    /// Assumed time to first token, seconds.
    pub ttft_s: f64,
    /// Assumed output speed, tokens per second.
    pub output_tokens_per_s: f64,
}

/// Models ratesim knows by name.
///
/// Columns: id, pool, prices (input, output per MTok), cache reads count
/// toward ITPM (the † models), assumed TTFT in seconds, assumed output tokens/s.
#[rustfmt::skip]
pub const MODELS: &[ModelInfo] = &[
    model("claude-opus-4-7",   "opus-4",    prices(5.0, 25.0), false, 1.5, 45.0),
    model("claude-opus-4-6",   "opus-4",    prices(5.0, 25.0), false, 1.5, 45.0),
    model("claude-opus-4-5",   "opus-4",    prices(5.0, 25.0), false, 1.5, 45.0),
    model("claude-opus-4-1",   "opus-4",    prices(15.0, 75.0), false, 2.0, 30.0),
    model("claude-opus-4-0",   "opus-4",    prices(15.0, 75.0), false, 2.0, 30.0),
    model("claude-sonnet-4-6", "sonnet-4",  prices(3.0, 15.0), false, 0.9, 60.0),
    model("claude-sonnet-4-5", "sonnet-4",  prices(3.0, 15.0), false, 0.9, 60.0),
    model("claude-sonnet-4-0", "sonnet-4",  prices(3.0, 15.0), false, 0.9, 60.0),
    model("claude-haiku-4-5",  "haiku-4-5", prices(1.0, 5.0), false, 0.5, 150.0),
    model("claude-3-5-haiku",  "haiku-3-5", prices(0.8, 4.0), true, 0.6, 65.0),
];

const fn model(
    id: &'static str,
    pool: &'static str,
    prices: Prices,
    itpm_counts_cache_reads: bool,
    ttft_s: f64,
    output_tokens_per_s: f64,
) -> ModelInfo {
    ModelInfo {
        id,
        pool,
        prices,
        itpm_counts_cache_reads,
        ttft_s,
        output_tokens_per_s,
    }
}

/// Looks a model up by id; a trailing date (`-20250929`) and the aliases
/// `claude-opus-4`/`claude-sonnet-4` are accepted.
pub fn find_model(id: &str) -> Option<&'static ModelInfo> {
    let base = match id.rsplit_once('-') {
        Some((head, date)) if date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()) => head,
        _ => id,
    };
    let base = match base {
        "claude-opus-4" => "claude-opus-4-0",
        "claude-sonnet-4" => "claude-sonnet-4-0",
        other => other,
    };
    MODELS.iter().find(|m| m.id == base)
}

/// Usage tiers with published per-model limits.
pub const TIERS: &[&str] = &["tier1", "tier2", "tier3", "tier4"];

/// RPM / ITPM / OTPM for `pool` at `tier` (see [`LIMITS_SOURCE`]).
pub fn tier_limits(tier: &str, pool: &str) -> Option<PoolLimits> {
    let t = TIERS.iter().position(|&x| x == tier)?;
    let table: [(u64, u64, u64); 4] = match pool {
        "opus-4" | "sonnet-4" => [
            (50, 30_000, 8_000),
            (1_000, 450_000, 90_000),
            (2_000, 800_000, 160_000),
            (4_000, 2_000_000, 400_000),
        ],
        "haiku-4-5" => [
            (50, 50_000, 10_000),
            (1_000, 450_000, 90_000),
            (2_000, 1_000_000, 200_000),
            (4_000, 4_000_000, 800_000),
        ],
        "haiku-3-5" => [
            (50, 50_000, 10_000),
            (1_000, 100_000, 20_000),
            (2_000, 200_000, 40_000),
            (4_000, 400_000, 80_000),
        ],
        _ => return None,
    };
    let (rpm, itpm, otpm) = table[t];
    Some(PoolLimits {
        rpm: Some(rpm),
        itpm: Some(itpm),
        otpm: Some(otpm),
        tpm: None,
        max_concurrent: None,
    })
}

/// Names of all known models, for error messages.
pub fn model_ids() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dated_ids_and_aliases_resolve() {
        assert_eq!(
            find_model("claude-sonnet-4-5-20250929").unwrap().id,
            "claude-sonnet-4-5"
        );
        assert_eq!(find_model("claude-opus-4").unwrap().id, "claude-opus-4-0");
        assert!(find_model("gpt-4o").is_none());
    }

    #[test]
    fn cache_prices_follow_the_documented_multipliers() {
        let s = find_model("claude-sonnet-4-5").unwrap().prices;
        assert_eq!((s.cache_write_5m, s.cache_write_1h), (3.75, 6.0));
        assert!((s.cache_read - 0.30).abs() < 1e-12);
    }

    #[test]
    fn tier_one_sonnet_matches_the_docs() {
        let l = tier_limits("tier1", "sonnet-4").unwrap();
        assert_eq!(
            (l.rpm, l.itpm, l.otpm),
            (Some(50), Some(30_000), Some(8_000))
        );
    }
}
