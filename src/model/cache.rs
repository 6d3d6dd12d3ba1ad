//! The server's prompt cache: which prefixes are warm, and until when.
//!
//! Anthropic documents that a cache entry "only becomes available after the
//! first response begins", lives for its TTL (5 minutes, or 1 hour at a
//! higher write price) and that every read refreshes the TTL. Hit rates are
//! therefore not an input here: they emerge from traffic and TTL.

use std::collections::BTreeMap;

use crate::engine::SimTime;

/// Cache lifetime, which also sets the write price.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum CacheTtl {
    /// The default 5-minute TTL (writes cost 1.25 × input).
    #[default]
    FiveMinutes,
    /// `ttl: "1h"` (writes cost 2 × input).
    OneHour,
}

impl CacheTtl {
    /// The lifetime.
    pub fn duration(self) -> SimTime {
        match self {
            CacheTtl::FiveMinutes => SimTime::from_secs(300),
            CacheTtl::OneHour => SimTime::from_secs(3600),
        }
    }
}

/// A cacheable prompt prefix carried by a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CachePrefix {
    /// Identity of the prefix (same key, same cached content).
    pub key: u64,
    /// Tokens in the prefix.
    pub tokens: u64,
    /// Lifetime asked for.
    pub ttl: CacheTtl,
    /// A fixed outcome (the `hit_rate` shortcut drew it): `Some(true)` reads,
    /// `Some(false)` writes, whatever the cache holds. The minimum cacheable
    /// length and the TTL's price still apply; the cache is not touched.
    pub forced_hit: Option<bool>,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    available_from: SimTime,
    expires_at: SimTime,
}

/// Warm prefixes per model. Memory is one entry per distinct prefix ever
/// written, which the workload bounds.
#[derive(Clone, Debug, Default)]
pub struct PromptCacheStore {
    entries: BTreeMap<(u16, u64), Entry>,
}

impl PromptCacheStore {
    /// Whether `prefix` can be read by `model` at `now`.
    pub fn is_warm(&self, now: SimTime, model: u16, prefix: &CachePrefix) -> bool {
        self.entries
            .get(&(model, prefix.key))
            .is_some_and(|e| e.available_from <= now && now < e.expires_at)
    }

    /// A read at `now` refreshes the TTL.
    pub fn read(&mut self, now: SimTime, model: u16, prefix: &CachePrefix) {
        if let Some(e) = self.entries.get_mut(&(model, prefix.key)) {
            e.expires_at = e.expires_at.max(now + prefix.ttl.duration());
        }
    }

    /// A write admitted at `now` becomes readable at `available_from` (when
    /// the response starts). A pending write already under way keeps its
    /// earlier availability: concurrent cold requests all pay the write, but
    /// the first to start makes the entry warm.
    pub fn write(
        &mut self,
        now: SimTime,
        available_from: SimTime,
        model: u16,
        prefix: &CachePrefix,
    ) {
        let expires_at = available_from + prefix.ttl.duration();
        let e = self.entries.entry((model, prefix.key)).or_insert(Entry {
            available_from,
            expires_at,
        });
        if e.expires_at <= now {
            // Expired: this write starts a new life.
            *e = Entry {
                available_from,
                expires_at,
            };
        } else {
            e.available_from = e.available_from.min(available_from);
            e.expires_at = e.expires_at.max(expires_at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: CachePrefix = CachePrefix {
        key: 7,
        tokens: 20_000,
        ttl: CacheTtl::FiveMinutes,
        forced_hit: None,
    };

    #[test]
    fn a_write_is_readable_once_the_response_starts_and_for_the_ttl() {
        let mut c = PromptCacheStore::default();
        assert!(!c.is_warm(SimTime::ZERO, 0, &P));
        c.write(SimTime::ZERO, SimTime::from_secs(1), 0, &P);
        assert!(
            !c.is_warm(SimTime::from_millis(999), 0, &P),
            "not before the first token"
        );
        assert!(c.is_warm(SimTime::from_secs(1), 0, &P));
        assert!(c.is_warm(SimTime::from_secs(300), 0, &P));
        assert!(
            !c.is_warm(SimTime::from_secs(301), 0, &P),
            "expired after 5 min"
        );
        assert!(
            !c.is_warm(SimTime::from_secs(2), 1, &P),
            "another model has its own cache"
        );
    }

    #[test]
    fn reads_refresh_the_ttl() {
        let mut c = PromptCacheStore::default();
        c.write(SimTime::ZERO, SimTime::ZERO, 0, &P);
        c.read(SimTime::from_secs(200), 0, &P);
        assert!(c.is_warm(SimTime::from_secs(499), 0, &P));
        assert!(!c.is_warm(SimTime::from_secs(500), 0, &P));
    }

    #[test]
    fn one_hour_ttl_lasts_an_hour() {
        let mut c = PromptCacheStore::default();
        let p = CachePrefix {
            ttl: CacheTtl::OneHour,
            ..P
        };
        c.write(SimTime::ZERO, SimTime::ZERO, 0, &p);
        assert!(c.is_warm(SimTime::from_secs(3599), 0, &p));
        assert!(!c.is_warm(SimTime::from_secs(3600), 0, &p));
    }
}
