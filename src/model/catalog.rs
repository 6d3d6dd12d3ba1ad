//! Built-in facts about Claude models: which pool each shares, list prices,
//! minimum cacheable prompt lengths, assumed latency, and the rate-limit
//! *profiles* a scenario's `tier:` may name (Anthropic's usage tiers, old and
//! renamed, plus clearly labelled unofficial ones).
//!
//! Every figure carries its source and the date that source was read; a
//! scenario may override any of them (`pools:`, `latency.models`).
//! `ratesim tiers` prints the whole catalogue.

use super::pool::PoolLimits;

// ---------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------

/// The rate-limits page; S2 and S3 below are two dated copies of it.
pub const RATE_LIMITS_URL: &str = "https://platform.claude.com/docs/en/api/rate-limits";

/// Where the Tier 1-4 limits come from (snapshot S2 of the rate-limits page).
pub const LIMITS_SOURCE: &str = "Anthropic rate-limits documentation, \
https://platform.claude.com/docs/en/api/rate-limits (Tier 1-4 tables, copy fetched 2026-04-23)";

/// Source of the Tier 1-4 profiles (snapshot S2); the date is [`Profile::read`].
const S2_SOURCE: &str = "Anthropic rate-limits documentation, \
https://platform.claude.com/docs/en/api/rate-limits (Tier 1-4 tables, archived copy)";

/// Where the Start/Build/Scale limits come from (snapshot S3, the renamed page).
pub const LIMITS_SOURCE_S3: &str = "Anthropic rate-limits documentation, \
https://platform.claude.com/docs/en/api/rate-limits (tiers renamed Start/Build/Scale/Custom; \
Hacker News capture of the renamed page dated 2026-06-27)";

/// Source of the Start/Build/Scale profiles; the date is [`Profile::read`].
const S3_SOURCE: &str = "Anthropic rate-limits documentation, \
https://platform.claude.com/docs/en/api/rate-limits (tiers renamed Start/Build/Scale/Custom; \
Hacker News capture of the renamed page)";

/// The catalogue's date: the newest date any of its sources was read.
/// `--version` prints it and every report records it, because results move
/// when the catalogue does; bump it with any figure (a test checks it is not
/// older than a date quoted below).
pub const CATALOG_DATE: &str = "2026-12-03";

/// Where the prices come from.
pub const PRICES_SOURCE: &str = "Anthropic pricing documentation, \
https://platform.claude.com/docs/en/about-claude/pricing (last verified 2026-08-07)";

/// Where the minimum cacheable prompt lengths come from.
pub const CACHE_SOURCE: &str = "Anthropic prompt-caching documentation, \
https://platform.claude.com/docs/en/build-with-claude/prompt-caching (archived copies read 2026-11; \
copies disagree for Sonnet 4.6 and Opus 4.7)";

/// Where the Batch API discount and per-batch limits come from.
pub const BATCH_SOURCE: &str = "Anthropic batch-processing documentation, \
https://platform.claude.com/docs/en/build-with-claude/batch-processing (Opus 4.6-era copy, read 2026-11)";

/// Where the maximum output tokens (`max_tokens` ceiling) per model come from.
pub const MAX_OUTPUT_SOURCE: &str = "Anthropic models documentation, \
https://platform.claude.com/docs/en/about-claude/models/overview and the per-model pages \
https://platform.claude.com/docs/en/models/<model>/overview (\"Max output\", read 2026-12-03)";

/// Where the long-context (over 200K input tokens) limits and prices come from.
pub const LONG_CONTEXT_SOURCE: &str = "Anthropic rate-limits documentation, copy of 2025-11-08 \
(patrickcarmichael/claude-docs 1437-rate-limits.md, \"Long context rate limits\": Tier 4, Sonnet 4/4.5 with \
the context-1m beta, 1,000,000 ITPM / 200,000 OTPM; the same table on docs.anthropic.com/{ja,fr,it}/api/rate-limits \
copies) and pricing documentation https://platform.claude.com/docs/en/about-claude/pricing (long context: \
Sonnet 4/4.5 input over 200K tokens $6 / output $22.50 per MTok), read 2026-12-03";

/// A request whose input (uncached + cache reads + cache writes) exceeds
/// this many tokens is a long-context request ([`LONG_CONTEXT_SOURCE`]).
pub const LONG_CONTEXT_THRESHOLD: u64 = 200_000;

/// Models with long-context prices: every token of a request over
/// [`LONG_CONTEXT_THRESHOLD`] input tokens is billed at these (the cache
/// multipliers apply on top). Only Sonnet 4 and 4.5 (the 1M-context beta);
/// Sonnet 4.6's own page lists a 1M window at its standard $3 / $15, so no
/// premium is modelled for it.
#[rustfmt::skip]
pub const LONG_CONTEXT_PRICES: &[(&str, Prices)] = &[
    ("claude-sonnet-4-5", prices(6.0, 22.5)),
    ("claude-sonnet-4-0", prices(6.0, 22.5)),
];

/// The long-context prices of `model`, if it has them.
pub fn long_context_prices(model: &str) -> Option<Prices> {
    LONG_CONTEXT_PRICES
        .iter()
        .find(|(id, _)| *id == model)
        .map(|(_, p)| *p)
}

/// Latency figures are not published; these are assumptions to override.
pub const LATENCY_SOURCE: &str = "assumed typical values (not published by Anthropic); \
override under `latency.models` in the scenario";

/// How unofficial profiles are labelled wherever they are shown.
pub const UNOFFICIAL_LABEL: &str =
    "unofficial: from a third-party guide; its numbers disagree with Anthropic's docs";

// ---------------------------------------------------------------------------
// Prices and the Batch API
// ---------------------------------------------------------------------------

/// Batch API price factor: "All usage is charged at 50% of the standard API
/// prices" (see [`BATCH_SOURCE`]). It stacks with the prompt-caching
/// multipliers.
pub const BATCH_DISCOUNT: f64 = 0.5;

/// Most requests one batch may hold ("100,000 Message requests or 256 MB in
/// size, whichever is reached first"; [`BATCH_SOURCE`]).
pub const BATCH_MAX_REQUESTS: u64 = 100_000;

/// Largest batch, in MB as the docs write it (above it: 413 `request_too_large`).
pub const BATCH_MAX_MB: u64 = 256;

/// "Batches expire if processing does not complete within 24 hours";
/// expired requests are not billed ([`BATCH_SOURCE`]).
pub const BATCH_EXPIRY_HOURS: u64 = 24;

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

/// Cache-write (5-minute TTL) price as a multiple of base input ([`PRICES_SOURCE`]).
pub const CACHE_WRITE_5M_FACTOR: f64 = 1.25;
/// Cache-write (1-hour TTL) price as a multiple of base input.
pub const CACHE_WRITE_1H_FACTOR: f64 = 2.0;
/// Cache-read price as a multiple of base input.
pub const CACHE_READ_FACTOR: f64 = 0.1;

const fn prices(input: f64, output: f64) -> Prices {
    Prices {
        input,
        output,
        cache_write_5m: input * CACHE_WRITE_5M_FACTOR,
        cache_write_1h: input * CACHE_WRITE_1H_FACTOR,
        cache_read: input * CACHE_READ_FACTOR,
    }
}

impl Prices {
    /// The same prices through the Batch API ([`BATCH_DISCOUNT`] on every item).
    pub fn batch(&self) -> Prices {
        Prices {
            input: self.input * BATCH_DISCOUNT,
            output: self.output * BATCH_DISCOUNT,
            cache_write_5m: self.cache_write_5m * BATCH_DISCOUNT,
            cache_write_1h: self.cache_write_1h * BATCH_DISCOUNT,
            cache_read: self.cache_read * BATCH_DISCOUNT,
        }
    }
}

// ---------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------

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
    /// Shortest prefix the prompt cache stores; shorter ones are processed
    /// without caching and no error is returned ([`CACHE_SOURCE`]).
    pub min_cacheable_tokens: u64,
    /// Assumed time to first token, seconds.
    pub ttft_s: f64,
    /// Assumed output speed, tokens per second.
    pub output_tokens_per_s: f64,
    /// Largest `max_tokens` the Messages API accepts for the model (its
    /// documented maximum output; [`MAX_OUTPUT_SOURCE`]).
    pub max_output_tokens: u64,
}

/// Models ratesim knows by name.
///
/// Columns: id, pool, prices (input, output per MTok; [`PRICES_SOURCE`]),
/// cache reads count toward ITPM (the † models), minimum cacheable tokens
/// ([`CACHE_SOURCE`]), assumed TTFT in seconds, assumed output tokens/s
/// ([`LATENCY_SOURCE`]), maximum output tokens ([`MAX_OUTPUT_SOURCE`]).
///
/// Maximum output, where copies disagree: Sonnet 4.6 is 128K on its own
/// page (<https://platform.claude.com/docs/en/models/sonnet-4-6/overview>, read
/// 2026-12-03), 64K in some third-party listings; the larger figure is kept,
/// so a valid request is never rejected. "128K" is 128,000 and "64K" 64,000
/// (the ceilings SDKs use, e.g. Effect-TS/effect @effect/ai-anthropic
/// 4.0.0-beta.106); Haiku 3.5's is 8,192.
///
/// Minimum cacheable length, where copies of the prompt-caching page disagree:
/// - Opus 4.7: 4,096 here; some copies say 2,048 (a 2026 third-party article,
///   <https://dev.to/creeta/claudes-prompt-cache-fails-silently-below-1024-tokens-1ch1>,
///   also says 2,048).
/// - Sonnet 4.6: 2,048 here; other copies say 1,024. Checked 2026-11-24: the
///   docs copy quoted in <https://github.com/anthropics/anthropic-sdk-python/issues/1194>
///   lists 1,024, but the reporter observed no caching below 2,048 tokens on
///   `claude-sonnet-4-6`, and <https://docs.orq.ai/docs/proxy/prompt-caching> lists 2,048.
#[rustfmt::skip]
pub const MODELS: &[ModelInfo] = &[
    model("claude-opus-4-7",   "opus-4",    prices(5.0, 25.0),  false, 4_096, 1.5, 45.0, 128_000),
    model("claude-opus-4-6",   "opus-4",    prices(5.0, 25.0),  false, 4_096, 1.5, 45.0, 128_000),
    model("claude-opus-4-5",   "opus-4",    prices(5.0, 25.0),  false, 4_096, 1.5, 45.0,  64_000),
    model("claude-opus-4-1",   "opus-4",    prices(15.0, 75.0), false, 1_024, 2.0, 30.0,  32_000),
    model("claude-opus-4-0",   "opus-4",    prices(15.0, 75.0), false, 1_024, 2.0, 30.0,  32_000),
    model("claude-sonnet-4-6", "sonnet-4",  prices(3.0, 15.0),  false, 2_048, 0.9, 60.0, 128_000),
    model("claude-sonnet-4-5", "sonnet-4",  prices(3.0, 15.0),  false, 1_024, 0.9, 60.0,  64_000),
    model("claude-sonnet-4-0", "sonnet-4",  prices(3.0, 15.0),  false, 1_024, 0.9, 60.0,  64_000),
    model("claude-haiku-4-5",  "haiku-4-5", prices(1.0, 5.0),   false, 4_096, 0.5, 150.0, 64_000),
    model("claude-3-5-haiku",  "haiku-3-5", prices(0.8, 4.0),   true,  2_048, 0.6, 65.0,   8_192),
    // Newer models (see NEWER_MODELS_SOURCE): Opus 4.8 shares the Opus 4.x
    // pool; Sonnet 5 and Fable 5 have pools of their own, published only in
    // the Start/Build/Scale tables.
    model("claude-opus-4-8",   "opus-4",    prices(5.0, 25.0),  false, 1_024, 1.5, 45.0, 128_000),
    model("claude-sonnet-5",   "sonnet-5",  prices(2.0, 10.0),  false, 1_024, 0.9, 60.0, 128_000),
    model("claude-fable-5",    "fable-5",   prices(10.0, 50.0), false,   512, 2.0, 30.0, 128_000),
];

/// Where the newer models come from (rows after Haiku 3.5 in [`MODELS`]).
pub const NEWER_MODELS_SOURCE: &str = "Start/Build/Scale copy of the rate-limits page (pools: Opus \
4.x = 4.8/4.7/4.6/4.5, Sonnet 5 and Fable 5 each their own; Hacker News capture dated 2026-06-27); model \
pages https://platform.claude.com/docs/en/models/sonnet-5/overview (Sonnet 5: $2 / $10 per MTok, 128K max \
output, read 2026-12-03; an earlier copy said $2 / $10 through 2026-08-31, then $3 / $15); pricing copies \
listing Opus 4.8 at $5 / $25 and Fable 5 at $10 / $50; minimum cacheable lengths (Opus 4.8 and Sonnet 5 \
1,024, Fable 5 512) from a 2026 article (dev.to/creeta), not yet from the caching page itself";

/// Pools that only the Start/Build/Scale copy lists: the Tier 1-4 (S2)
/// profiles publish nothing for them, so a scenario on those tiers must set
/// them under `pools:`.
pub const POOLS_NEWER_THAN_S2: &[&str] = &["sonnet-5", "fable-5"];

#[allow(clippy::too_many_arguments)] // one argument per column of the table
const fn model(
    id: &'static str,
    pool: &'static str,
    prices: Prices,
    itpm_counts_cache_reads: bool,
    min_cacheable_tokens: u64,
    ttft_s: f64,
    output_tokens_per_s: f64,
    max_output_tokens: u64,
) -> ModelInfo {
    ModelInfo {
        id,
        pool,
        prices,
        itpm_counts_cache_reads,
        min_cacheable_tokens,
        ttft_s,
        output_tokens_per_s,
        max_output_tokens,
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

/// Names of all known models, for error messages.
pub fn model_ids() -> Vec<&'static str> {
    MODELS.iter().map(|m| m.id).collect()
}

/// Pool names in catalogue order, each once.
pub fn pool_names() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for m in MODELS {
        if !out.contains(&m.pool) {
            out.push(m.pool);
        }
    }
    out
}

/// Models that share `pool`, in catalogue order.
pub fn pool_models(pool: &str) -> Vec<&'static str> {
    MODELS
        .iter()
        .filter(|m| m.pool == pool)
        .map(|m| m.id)
        .collect()
}

// ---------------------------------------------------------------------------
// Profiles (what `tier:` may name)
// ---------------------------------------------------------------------------

/// Message Batches API limits of a profile, shared across all models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    /// Requests per minute over all batch endpoints.
    pub rpm: u64,
    /// Batch requests that may wait in the processing queue ("yet to be
    /// successfully processed by the model").
    pub max_queued_requests: u64,
    /// Requests in one batch.
    pub max_batch_requests: u64,
}

/// Money thresholds and caps of a profile, in whole USD; `None` where the
/// source gives no figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spend {
    /// Cumulative credit purchase that reaches the profile (advancement is immediate).
    pub credit_purchase_usd: Option<u64>,
    /// Largest single credit purchase allowed.
    pub max_single_purchase_usd: Option<u64>,
    /// Monthly spend cap; over it, 429 `enforced_spend_limit_reached` until the
    /// 1st of the next month.
    pub monthly_limit_usd: Option<u64>,
}

/// One pool's per-minute limits in a profile; `None` is not published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolRow {
    /// Pool name (see [`ModelInfo::pool`]).
    pub pool: &'static str,
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Input tokens per minute.
    pub itpm: Option<u64>,
    /// Output tokens per minute.
    pub otpm: Option<u64>,
    /// Combined input + output tokens per minute (only unofficial sources quote it).
    pub tpm: Option<u64>,
}

impl PoolRow {
    /// The row as simulator limits (no concurrency cap).
    pub fn limits(&self) -> PoolLimits {
        PoolLimits {
            rpm: self.rpm,
            itpm: self.itpm,
            otpm: self.otpm,
            tpm: self.tpm,
            ..PoolLimits::default()
        }
    }
}

/// A named set of limits a scenario can start from (`tier: NAME`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Profile {
    /// Name used in scenarios and on the command line.
    pub name: &'static str,
    /// Human-readable title.
    pub title: &'static str,
    /// False for profiles taken from third-party material rather than
    /// Anthropic's own documentation (see [`UNOFFICIAL_LABEL`]).
    pub official: bool,
    /// Where the figures come from.
    pub source: &'static str,
    /// When that source was fetched or captured (ISO date).
    pub read: &'static str,
    /// Credit thresholds and spend caps.
    pub spend: Spend,
    /// Per-pool limits; pools not listed have no published figure here.
    pub pools: &'static [PoolRow],
    /// Dedicated limits for long-context requests (over
    /// [`LONG_CONTEXT_THRESHOLD`] input tokens) on the models with
    /// [`LONG_CONTEXT_PRICES`], per pool; empty where none is published.
    pub long_context: &'static [PoolRow],
    /// Message Batches API limits, if published.
    pub batch: Option<BatchLimits>,
    /// Caveats shared by every profile read from the same source.
    pub source_notes: &'static [&'static str],
    /// Caveats and disagreements between copies, for this profile only.
    pub notes: &'static [&'static str],
}

const fn row(pool: &'static str, rpm: u64, itpm: u64, otpm: u64) -> PoolRow {
    PoolRow {
        pool,
        rpm: Some(rpm),
        itpm: Some(itpm),
        otpm: Some(otpm),
        tpm: None,
    }
}

const fn tokens_row(pool: &'static str, itpm: u64, otpm: u64) -> PoolRow {
    PoolRow {
        pool,
        rpm: None,
        itpm: Some(itpm),
        otpm: Some(otpm),
        tpm: None,
    }
}

const fn tpm_row(pool: &'static str, rpm: u64, tpm: u64) -> PoolRow {
    PoolRow {
        pool,
        rpm: Some(rpm),
        itpm: None,
        otpm: None,
        tpm: Some(tpm),
    }
}

const fn spend(credit: u64, max_purchase: u64, monthly: u64) -> Spend {
    Spend {
        credit_purchase_usd: Some(credit),
        max_single_purchase_usd: Some(max_purchase),
        monthly_limit_usd: Some(monthly),
    }
}

const fn monthly_cap(monthly: u64) -> Spend {
    Spend {
        credit_purchase_usd: None,
        max_single_purchase_usd: None,
        monthly_limit_usd: Some(monthly),
    }
}

const NO_SPEND: Spend = Spend {
    credit_purchase_usd: None,
    max_single_purchase_usd: None,
    monthly_limit_usd: None,
};

const fn batch(rpm: u64, max_queued_requests: u64) -> Option<BatchLimits> {
    Some(BatchLimits {
        rpm,
        max_queued_requests,
        max_batch_requests: BATCH_MAX_REQUESTS,
    })
}

/// S2: the copy of the rate-limits page marked "Fetched: 2026-04-23".
const S2_READ: &str = "2026-04-23";
/// S3: date of the Hacker News capture of the renamed page.
const S3_READ: &str = "2026-06-27";

const S2_NOTES: &[&str] = &[
    "Opus 4.x is one pool (4.7/4.6/4.5/4.1/4); Sonnet 4.x is one pool (4.6/4.5/4).",
    "Haiku 3.5 is marked †: its cache reads count toward ITPM.",
    "OTPM is counted in real time as tokens are generated; max_tokens does not count (this copy; until late 2025 the docs reserved max_tokens).",
];

const S3_NOTES: &[&str] = &[
    "This copy lists Opus 4.x as 4.8/4.7/4.6/4.5 and Sonnet 4.x as 4.6/4.5; ratesim keeps Opus 4/4.1 and Sonnet 4 in those pools.",
    "Sonnet 5 and Fable 5 are pools of their own here (Fable 5 with lower limits); the Tier 1-4 tables predate them.",
    "Later model pages list further models (Sonnet 5.5, Opus 5/5.5, Fable 5.1; read 2026-12-03) without a rate-limit table ratesim could cite: model them with `pools:` on an existing id.",
    "Haiku 3.5 (†, cache reads count toward ITPM) is listed as retired.",
    "Advancement is automatic over time; this copy publishes no deposit thresholds. A new organisation may start in an Evaluation tier with lower, unpublished limits.",
];

const SEED_GUIDE_SOURCE: &str = "third-party troubleshooting guide for `rate_limit_error` \
(undated web page, no stable public URL; table \"Rate limit tiers (Claude API)\", \
columns RPM (Sonnet) / TPM (Sonnet)); not Anthropic's documentation: check against \
https://platform.claude.com/docs/en/api/rate-limits";

/// Read date of the seed guide: the guide itself is undated (its example
/// headers are from 2026-05-18); this is when ratesim's catalogue took it.
const SEED_GUIDE_READ: &str = "2026-11-24";

const SEED_GUIDE_NOTES: &[&str] = &[
    "The guide quotes RPM and one combined TPM for Sonnet only: ratesim puts it in `tpm` (input + output) of the sonnet-4 pool and has no figures for other pools (set them under `pools:`).",
    "Anthropic's docs publish separate ITPM and OTPM and different numbers (Tier 1 Sonnet: 50 RPM / 30,000 ITPM / 8,000 OTPM).",
];

/// Unofficial seed-guide pool rows (Sonnet only).
const SEED_FREE: &[PoolRow] = &[tpm_row("sonnet-4", 5, 25_000)];
const SEED_BUILD_5: &[PoolRow] = &[tpm_row("sonnet-4", 1_000, 80_000)];
const SEED_BUILD_100: &[PoolRow] = &[tpm_row("sonnet-4", 2_000, 160_000)];

/// Every profile, in display order: Tier 1-4 (S2), Start/Build/Scale (S3),
/// then the unofficial ones.
#[rustfmt::skip]
pub const PROFILES: &[Profile] = &[
    Profile {
        name: "tier1",
        title: "Usage Tier 1",
        official: true,
        source: S2_SOURCE,
        read: S2_READ,
        source_notes: S2_NOTES,
        spend: spend(5, 100, 100),
        pools: &[
            row("opus-4",    50, 30_000, 8_000),
            row("sonnet-4",  50, 30_000, 8_000),
            row("haiku-4-5", 50, 50_000, 10_000),
            row("haiku-3-5", 50, 50_000, 10_000),
        ],
        long_context: &[],
        batch: batch(50, 100_000),
        notes: &[
            "Another, undated copy of the page lists Tier 1 at $500 max purchase / $500 monthly; so does a 2026 third-party summary (https://aipromptshub.co/limits/claude-rate-limits-2026). This copy says $100 / $100.",
            "Checked 2026-11-24: https://rate-limits.apis.io/rate-limits/claude/claude-rate-limits/ (machine-readable copy of the docs) has the same Tier 1 Opus/Sonnet 50/30,000/8,000 and Haiku 4.5 50/50,000/10,000.",
        ],
    },
    Profile {
        name: "tier2",
        title: "Usage Tier 2",
        official: true,
        source: S2_SOURCE,
        read: S2_READ,
        source_notes: S2_NOTES,
        spend: spend(40, 500, 500),
        pools: &[
            row("opus-4",    1_000, 450_000, 90_000),
            row("sonnet-4",  1_000, 450_000, 90_000),
            row("haiku-4-5", 1_000, 450_000, 90_000),
            row("haiku-3-5", 1_000, 100_000, 20_000),
        ],
        long_context: &[],
        batch: batch(1_000, 200_000),
        notes: &[
            "Checked 2026-11-24: Anthropic's support article https://support.claude.com/en/articles/10366389-how-can-i-advance-my-api-usage-to-tier-2 also gives $40 cumulative purchase and a $500 monthly limit.",
        ],
    },
    Profile {
        name: "tier3",
        title: "Usage Tier 3",
        official: true,
        source: S2_SOURCE,
        read: S2_READ,
        source_notes: S2_NOTES,
        spend: spend(200, 1_000, 1_000),
        pools: &[
            row("opus-4",    2_000, 800_000, 160_000),
            row("sonnet-4",  2_000, 800_000, 160_000),
            row("haiku-4-5", 2_000, 1_000_000, 200_000),
            row("haiku-3-5", 2_000, 200_000, 40_000),
        ],
        long_context: &[],
        batch: batch(2_000, 300_000),
        notes: &[],
    },
    Profile {
        name: "tier4",
        title: "Usage Tier 4",
        official: true,
        source: S2_SOURCE,
        read: S2_READ,
        source_notes: S2_NOTES,
        spend: spend(400, 200_000, 200_000),
        pools: &[
            row("opus-4",    4_000, 2_000_000, 400_000),
            row("sonnet-4",  4_000, 2_000_000, 400_000),
            row("haiku-4-5", 4_000, 4_000_000, 800_000),
            row("haiku-3-5", 4_000, 400_000, 80_000),
        ],
        long_context: &[tokens_row("sonnet-4", 1_000_000, 200_000)],
        batch: batch(4_000, 500_000),
        notes: &[
            "Older copies (e.g. https://anthropic.mintlify.app/en/api/rate-limits) list a $5,000 monthly cap; this copy says $200,000.",
            "Long context (rate-limits page of 2025-11-08): Sonnet 4/4.5 requests over 200K input tokens (1M beta) have dedicated limits of 1,000,000 ITPM / 200,000 OTPM, no RPM published; ratesim sends them to that pool and bills them at $6 / $22.50 per MTok. No other profile publishes long-context limits: there they share the ordinary pool.",
        ],
    },
    Profile {
        name: "start",
        title: "Start",
        official: true,
        source: S3_SOURCE,
        read: S3_READ,
        spend: monthly_cap(500),
        pools: &[
            row("opus-4",    1_000, 2_000_000, 400_000),
            row("sonnet-4",  1_000, 2_000_000, 400_000),
            row("haiku-4-5", 1_000, 2_000_000, 400_000),
            row("haiku-3-5", 1_000, 100_000, 20_000),
            row("sonnet-5",  1_000, 2_000_000, 400_000),
            row("fable-5",   1_000, 500_000, 100_000),
        ],
        long_context: &[],
        batch: batch(1_000, 200_000),
        source_notes: S3_NOTES,
        notes: &[],
    },
    Profile {
        name: "build",
        title: "Build",
        official: true,
        source: S3_SOURCE,
        read: S3_READ,
        spend: monthly_cap(1_000),
        pools: &[
            row("opus-4",    5_000, 5_000_000, 1_000_000),
            row("sonnet-4",  5_000, 5_000_000, 1_000_000),
            row("haiku-4-5", 5_000, 5_000_000, 1_000_000),
            row("haiku-3-5", 2_000, 200_000, 40_000),
            row("sonnet-5",  5_000, 5_000_000, 1_000_000),
            row("fable-5",   2_000, 1_500_000, 300_000),
        ],
        long_context: &[],
        batch: batch(2_000, 300_000),
        source_notes: S3_NOTES,
        notes: &[],
    },
    Profile {
        name: "scale",
        title: "Scale",
        official: true,
        source: S3_SOURCE,
        read: S3_READ,
        spend: monthly_cap(200_000),
        pools: &[
            row("opus-4",    10_000, 10_000_000, 2_000_000),
            row("sonnet-4",  10_000, 10_000_000, 2_000_000),
            row("haiku-4-5", 10_000, 10_000_000, 2_000_000),
            row("haiku-3-5", 4_000, 400_000, 80_000),
            row("sonnet-5",  10_000, 10_000_000, 2_000_000),
            row("fable-5",   4_000, 4_000_000, 800_000),
        ],
        long_context: &[],
        batch: batch(4_000, 500_000),
        source_notes: S3_NOTES,
        notes: &[],
    },
    Profile {
        name: "seed-guide-2026/free",
        title: "\"Free\" (third-party guide)",
        official: false,
        source: SEED_GUIDE_SOURCE,
        read: SEED_GUIDE_READ,
        spend: NO_SPEND,
        pools: SEED_FREE,
        long_context: &[],
        batch: None,
        source_notes: SEED_GUIDE_NOTES,
        notes: &[],
    },
    Profile {
        name: "seed-guide-2026/build-5",
        title: "\"Build ($5 spent)\" (third-party guide)",
        official: false,
        source: SEED_GUIDE_SOURCE,
        read: SEED_GUIDE_READ,
        // "$5 spent" in the guide; it is not said to be a credit purchase.
        spend: NO_SPEND,
        pools: SEED_BUILD_5,
        long_context: &[],
        batch: None,
        source_notes: SEED_GUIDE_NOTES,
        notes: &[],
    },
    Profile {
        name: "seed-guide-2026/build-100",
        title: "\"Build ($100 spent)\" (third-party guide)",
        official: false,
        source: SEED_GUIDE_SOURCE,
        read: SEED_GUIDE_READ,
        spend: NO_SPEND,
        pools: SEED_BUILD_100,
        long_context: &[],
        batch: None,
        source_notes: SEED_GUIDE_NOTES,
        notes: &[],
    },
];

/// Looks a profile up by name.
pub fn profile(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name == name)
}

/// Names of all profiles a scenario's `tier:` may name, in display order.
pub fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.name).collect()
}

/// Limits for `pool` in `profile` (a tier name such as `tier1`, `build` or
/// `seed-guide-2026/build-5`); `None` if either is unknown or the profile
/// publishes nothing for that pool. The source is [`Profile::source`].
pub fn tier_limits(profile: &str, pool: &str) -> Option<PoolLimits> {
    self::profile(profile)?
        .pools
        .iter()
        .find(|r| r.pool == pool)
        .map(PoolRow::limits)
}

/// Long-context limits for `pool` in `profile`, if published.
pub fn long_context_limits(profile: &str, pool: &str) -> Option<PoolLimits> {
    self::profile(profile)?
        .long_context
        .iter()
        .find(|r| r.pool == pool)
        .map(PoolRow::limits)
}

/// The monthly spend cap of `profile` in USD (`None`: no cap published, or
/// an unknown profile). What `plan` compares a month's projected cost with.
pub fn monthly_spend_limit(profile: &str) -> Option<u64> {
    self::profile(profile)?.spend.monthly_limit_usd
}

/// Message Batches API limits of `profile` (shared across all models).
pub fn batch_limits(profile: &str) -> Option<BatchLimits> {
    self::profile(profile)?.batch
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
        for m in MODELS {
            let p = m.prices;
            assert!(
                (p.cache_write_5m - 1.25 * p.input).abs() < 1e-12,
                "{}",
                m.id
            );
            assert!((p.cache_write_1h - 2.0 * p.input).abs() < 1e-12, "{}", m.id);
            assert!((p.cache_read - 0.1 * p.input).abs() < 1e-12, "{}", m.id);
        }
    }

    #[test]
    fn batch_halves_every_price() {
        assert_eq!(BATCH_DISCOUNT, 0.5);
        let p = find_model("claude-opus-4-1").unwrap().prices;
        let b = p.batch();
        assert_eq!((b.input, b.output), (7.5, 37.5));
        assert_eq!(b.cache_write_5m, p.cache_write_5m / 2.0);
        assert_eq!(b.cache_read, p.cache_read / 2.0);
    }

    #[test]
    fn batch_limits_per_profile() {
        let t1 = batch_limits("tier1").unwrap();
        assert_eq!(
            (t1.rpm, t1.max_queued_requests, t1.max_batch_requests),
            (50, 100_000, 100_000)
        );
        let scale = batch_limits("scale").unwrap();
        assert_eq!((scale.rpm, scale.max_queued_requests), (4_000, 500_000));
        assert!(batch_limits("seed-guide-2026/free").is_none());
        assert!(batch_limits("tier9").is_none());
    }

    #[test]
    fn tier_one_sonnet_matches_the_docs() {
        let l = tier_limits("tier1", "sonnet-4").unwrap();
        assert_eq!(
            (l.rpm, l.itpm, l.otpm),
            (Some(50), Some(30_000), Some(8_000))
        );
    }

    #[test]
    fn every_model_pool_has_limits_in_every_official_profile() {
        for p in PROFILES.iter().filter(|p| p.official) {
            for m in MODELS {
                if p.read == S2_READ && POOLS_NEWER_THAN_S2.contains(&m.pool) {
                    assert!(tier_limits(p.name, m.pool).is_none());
                    continue;
                }
                let l = tier_limits(p.name, m.pool)
                    .unwrap_or_else(|| panic!("{} has no limits for {}", p.name, m.pool));
                assert!(l.rpm.is_some() && l.itpm.is_some() && l.otpm.is_some());
                assert!(l.tpm.is_none());
            }
            assert!(p.batch.is_some(), "{} has no batch limits", p.name);
            assert!(p.source.contains(RATE_LIMITS_URL), "{}", p.name);
            assert!(p.spend.monthly_limit_usd.is_some(), "{}", p.name);
        }
    }

    #[test]
    fn profiles_are_unique_and_unofficial_ones_quote_tpm_only() {
        let names = profile_names();
        for (i, n) in names.iter().enumerate() {
            assert!(!names[i + 1..].contains(n), "duplicate profile {n}");
        }
        for p in PROFILES.iter().filter(|p| !p.official) {
            assert!(p.name.starts_with("seed-guide-"));
            for r in p.pools {
                assert!(r.tpm.is_some() && r.itpm.is_none() && r.otpm.is_none());
            }
        }
        for p in PROFILES {
            assert!(!p.read.is_empty() && !p.source.is_empty());
            for r in p.pools {
                assert!(pool_names().contains(&r.pool), "unknown pool {}", r.pool);
            }
        }
    }

    #[test]
    fn min_cacheable_lengths() {
        let min = |id| find_model(id).unwrap().min_cacheable_tokens;
        assert_eq!(min("claude-opus-4-5"), 4_096);
        assert_eq!(min("claude-haiku-4-5"), 4_096);
        assert_eq!(min("claude-sonnet-4-5"), 1_024);
        assert_eq!(min("claude-opus-4-1"), 1_024);
        assert_eq!(min("claude-3-5-haiku"), 2_048);
        assert_eq!(min("claude-sonnet-4-6"), 2_048);
    }

    #[test]
    fn a_pool_the_profile_has_no_figures_for_must_be_set_in_the_scenario() {
        let yaml = |pools: &str| {
            format!(
                r#"
name: seed-guide-haiku
duration: 1m
tier: seed-guide-2026/free
{pools}
streams:
  - name: chat
    model: claude-haiku-4-5
    arrivals: {{poisson: {{rate_per_min: 3}}}}
    input_tokens: 500
    output_tokens: 100
strategies: [exponential_backoff]
"#
            )
        };
        let e = crate::scenario::Scenario::from_yaml_str("s.yaml", &yaml(""))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("publishes no limits for pool `haiku-4-5`"),
            "{e}"
        );
        let s = crate::scenario::Scenario::from_yaml_str(
            "s.yaml",
            &yaml("pools: {haiku-4-5: {rpm: 10}}"),
        )
        .unwrap();
        assert_eq!(s.sim.provider.pools[0].1.rpm, Some(10));
        assert_eq!(s.sim.provider.pools[0].1.itpm, None);
    }

    #[test]
    fn seed_guide_profile_loads_with_a_combined_tpm() {
        let yaml = r#"
name: seed-guide
duration: 1m
tier: seed-guide-2026/build-5
streams:
  - name: chat
    model: claude-sonnet-4-5
    arrivals: {poisson: {rate_per_min: 30}}
    input_tokens: 500
    output_tokens: 100
strategies: [exponential_backoff]
"#;
        let s = crate::scenario::Scenario::from_yaml_str("seed.yaml", yaml).unwrap();
        assert_eq!(s.tier, "seed-guide-2026/build-5");
        let (name, l) = &s.sim.provider.pools[0];
        assert_eq!(name, "sonnet-4");
        assert_eq!(l.tpm, Some(80_000));
        assert_eq!(l.rpm, Some(1_000));
        assert_eq!((l.itpm, l.otpm), (None, None));
    }
}
