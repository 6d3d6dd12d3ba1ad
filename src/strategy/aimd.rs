//! Adaptive concurrency: additive increase, multiplicative decrease.
//!
//! After Netflix concurrency-limits' `AIMDLimit`
//! (`concurrency-limits-core/.../limit/AIMDLimit.java`): on a success whose
//! request was sent with at least half the limit in flight, the limit grows
//! by one (up to `max`); on a drop — here a 429 or a 529 — it is multiplied by
//! `backoff_ratio` and rounded down (not below `min`). Netflix also counts a
//! response slower than a timeout (5 s by default) as a drop; LLM responses
//! are routinely slower than that, so ratesim counts only 429/529.

use super::StrategyError;

/// Parameters of the adaptive limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AimdSpec {
    /// Limit at the start.
    pub initial: u32,
    /// Lowest limit (at least 1).
    pub min: u32,
    /// Highest limit.
    pub max: u32,
    /// Factor applied on a 429/529, in `[0.5, 1)` as Netflix's builder requires.
    pub backoff_ratio: f64,
}

impl Default for AimdSpec {
    /// Netflix's `AIMDLimit` defaults for the ratio (0.9) and maximum (200);
    /// initial 10 and minimum 1 as in its first releases.
    fn default() -> Self {
        AimdSpec {
            initial: 10,
            min: 1,
            max: 200,
            backoff_ratio: 0.9,
        }
    }
}

impl AimdSpec {
    /// This spec with the given fields replaced, validated.
    pub fn merge(
        self,
        initial: Option<u32>,
        min: Option<u32>,
        max: Option<u32>,
        backoff_ratio: Option<f64>,
    ) -> Result<AimdSpec, StrategyError> {
        let a = AimdSpec {
            initial: initial.unwrap_or(self.initial),
            min: min.unwrap_or(self.min),
            max: max.unwrap_or(self.max),
            backoff_ratio: backoff_ratio.unwrap_or(self.backoff_ratio),
        };
        if a.min == 0 || a.min > a.initial || a.initial > a.max {
            return Err(StrategyError::AimdBounds {
                min: a.min,
                initial: a.initial,
                max: a.max,
            });
        }
        if !(0.5..1.0).contains(&a.backoff_ratio) {
            return Err(StrategyError::AimdBackoffRatio(a.backoff_ratio));
        }
        Ok(a)
    }
}

/// The running limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AimdLimit {
    spec: AimdSpec,
    limit: u32,
}

impl AimdLimit {
    /// Starts at `spec.initial`, clamped to `[min, max]`.
    pub fn new(spec: AimdSpec) -> AimdLimit {
        let min = spec.min.max(1);
        AimdLimit {
            spec,
            limit: spec.initial.clamp(min, spec.max.max(min)),
        }
    }

    /// Requests allowed in flight now.
    pub fn limit(&self) -> u32 {
        self.limit
    }

    /// A success for a request that was sent with `in_flight` requests out
    /// (itself included), like Netflix's `inflight` sample.
    pub fn on_success(&mut self, in_flight: u32) {
        if in_flight.saturating_mul(2) >= self.limit {
            self.limit = (self.limit + 1).min(self.spec.max.max(self.spec.min.max(1)));
        }
    }

    /// A 429 or 529.
    pub fn on_drop(&mut self) {
        let cut = (self.limit as f64 * self.spec.backoff_ratio).floor() as u32;
        self.limit = cut.max(self.spec.min.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_by_one_only_when_used_and_cuts_by_the_ratio() {
        let mut l = AimdLimit::new(AimdSpec::default());
        assert_eq!(l.limit(), 10);
        l.on_success(4); // 4·2 < 10: the limit was not the constraint
        assert_eq!(l.limit(), 10);
        l.on_success(5);
        assert_eq!(l.limit(), 11);
        l.on_drop(); // floor(11 · 0.9) = 9
        assert_eq!(l.limit(), 9);
        for _ in 0..20 {
            l.on_drop();
        }
        assert_eq!(l.limit(), 1, "never below min");
        let mut l = AimdLimit::new(AimdSpec {
            initial: 199,
            ..AimdSpec::default()
        });
        l.on_success(199);
        l.on_success(200);
        assert_eq!(l.limit(), 200, "never above max");
    }
}
