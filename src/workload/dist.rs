//! Token-count distributions.

use rand::RngExt;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Exp, LogNormal};

use super::WorkloadError;

/// Largest token count a scenario may give (a constant, a `uniform` max, an
/// `empirical` value, a `lognormal` median or an `exponential` mean), and
/// the cap on sampled counts: a million times the largest context window,
/// and far enough below `u64::MAX` that sums of a request's token counts
/// cannot overflow.
pub const MAX_TOKENS: u64 = 1_000_000_000_000;

/// A distribution of token counts, as written in a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum TokenDist {
    /// Always this many.
    Constant(u64),
    /// Uniform over `min..=max`.
    Uniform {
        /// Smallest value.
        min: u64,
        /// Largest value.
        max: u64,
    },
    /// Log-normal with the given median and log-space sigma, rounded.
    LogNormal {
        /// Median (e^mu).
        median: f64,
        /// Standard deviation of the log.
        sigma: f64,
    },
    /// Values with relative weights.
    Empirical {
        /// The values.
        values: Vec<u64>,
        /// Their weights (same length, not all zero).
        weights: Vec<f64>,
    },
    /// Exponential with the given mean, rounded to the nearest whole token
    /// (so 0 is possible, as with `lognormal`). With a deterministic speed it
    /// makes service times exponential, for queueing checks (M/M/c).
    Exponential {
        /// Mean (1/λ).
        mean: f64,
    },
}

/// A ready-to-draw sampler for a [`TokenDist`].
#[derive(Clone, Debug)]
pub enum TokenSampler {
    /// See [`TokenDist::Constant`].
    Constant(u64),
    /// See [`TokenDist::Uniform`].
    Uniform(u64, u64),
    /// See [`TokenDist::LogNormal`].
    LogNormal(LogNormal<f64>),
    /// See [`TokenDist::Empirical`].
    Empirical(Vec<u64>, WeightedIndex<f64>),
    /// See [`TokenDist::Exponential`].
    Exponential(Exp<f64>),
}

impl TokenDist {
    /// Builds the sampler; fails on impossible parameters.
    pub fn sampler(&self) -> Result<TokenSampler, WorkloadError> {
        let count = |what: &'static str, got: u64| Err(WorkloadError::CountTooLarge { what, got });
        let parameter =
            |what: &'static str, got: f64| Err(WorkloadError::ParameterTooLarge { what, got });
        match self {
            TokenDist::Constant(n) if *n > MAX_TOKENS => {
                return count("a token count", *n);
            }
            TokenDist::Uniform { max, .. } if *max > MAX_TOKENS => {
                return count("uniform: max", *max);
            }
            TokenDist::LogNormal { median, .. } if *median > MAX_TOKENS as f64 => {
                return parameter("lognormal: median", *median);
            }
            TokenDist::Exponential { mean } if *mean > MAX_TOKENS as f64 => {
                return parameter("exponential: mean", *mean);
            }
            TokenDist::Empirical { values, .. } => {
                if let Some(v) = values.iter().find(|v| **v > MAX_TOKENS) {
                    return count("empirical: each value", *v);
                }
            }
            _ => {}
        }
        Ok(match self {
            TokenDist::Constant(n) => TokenSampler::Constant(*n),
            TokenDist::Uniform { min, max } => {
                if min > max {
                    return Err(WorkloadError::UniformMinAboveMax {
                        min: *min,
                        max: *max,
                    });
                }
                TokenSampler::Uniform(*min, *max)
            }
            TokenDist::LogNormal { median, sigma } => {
                if !(median.is_finite() && *median > 0.0) {
                    return Err(WorkloadError::LogNormalMedian(*median));
                }
                if !(sigma.is_finite() && *sigma >= 0.0) {
                    return Err(WorkloadError::LogNormalSigma(*sigma));
                }
                TokenSampler::LogNormal(
                    LogNormal::new(median.ln(), *sigma).map_err(WorkloadError::LogNormal)?,
                )
            }
            TokenDist::Empirical { values, weights } => {
                if values.is_empty() || values.len() != weights.len() {
                    return Err(WorkloadError::EmpiricalLengths {
                        values: values.len(),
                        weights: weights.len(),
                    });
                }
                let idx = WeightedIndex::new(weights.iter().copied())
                    .map_err(WorkloadError::EmpiricalWeights)?;
                TokenSampler::Empirical(values.clone(), idx)
            }
            TokenDist::Exponential { mean } => {
                if !(mean.is_finite() && *mean > 0.0) {
                    return Err(WorkloadError::ExponentialMean(*mean));
                }
                TokenSampler::Exponential(Exp::new(1.0 / mean).map_err(WorkloadError::Exponential)?)
            }
        })
    }

    /// The largest value the distribution gives, for capacity floors: the
    /// maximum of a bounded one, the 99.9th percentile of `lognormal`
    /// (median·e^(3.09σ)) and `exponential` (mean·ln 1000).
    pub fn upper(&self) -> u64 {
        let v = match self {
            TokenDist::Constant(n) => return *n,
            TokenDist::Uniform { max, .. } => return *max,
            TokenDist::Empirical { values, weights } => {
                return values
                    .iter()
                    .zip(weights)
                    .filter(|(_, w)| **w > 0.0)
                    .map(|(v, _)| *v)
                    .max()
                    .unwrap_or(0);
            }
            TokenDist::LogNormal { median, sigma } => median * (3.090_232 * sigma).exp(),
            TokenDist::Exponential { mean } => mean * 1000f64.ln(),
        };
        if v.is_finite() {
            (v.round() as u64).min(MAX_TOKENS)
        } else {
            MAX_TOKENS
        }
    }

    /// The distribution's mean, for capacity estimates and reports.
    pub fn mean(&self) -> f64 {
        match self {
            TokenDist::Constant(n) => *n as f64,
            TokenDist::Uniform { min, max } => (*min as f64 + *max as f64) / 2.0,
            TokenDist::LogNormal { median, sigma } => median * (sigma * sigma / 2.0).exp(),
            TokenDist::Empirical { values, weights } => {
                let total: f64 = weights.iter().sum();
                values
                    .iter()
                    .zip(weights)
                    .map(|(v, w)| *v as f64 * w)
                    .sum::<f64>()
                    / total
            }
            TokenDist::Exponential { mean } => *mean,
        }
    }
}

impl TokenSampler {
    /// Draws one count.
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> u64 {
        match self {
            TokenSampler::Constant(n) => *n,
            TokenSampler::Uniform(a, b) => rng.random_range(*a..=*b),
            TokenSampler::LogNormal(d) => {
                let x: f64 = d.sample(rng);
                x.round().clamp(0.0, MAX_TOKENS as f64) as u64
            }
            TokenSampler::Empirical(values, idx) => values[idx.sample(rng)],
            TokenSampler::Exponential(d) => {
                let x: f64 = d.sample(rng);
                x.round().clamp(0.0, MAX_TOKENS as f64) as u64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn lognormal_median_is_the_median() {
        let s = TokenDist::LogNormal {
            median: 400.0,
            sigma: 0.5,
        }
        .sampler()
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut v: Vec<u64> = (0..20_001).map(|_| s.sample(&mut rng)).collect();
        v.sort_unstable();
        let median = v[10_000] as f64;
        assert!((median - 400.0).abs() < 8.0, "median {median}");
    }

    #[test]
    fn empirical_follows_weights() {
        let s = TokenDist::Empirical {
            values: vec![10, 20],
            weights: vec![3.0, 1.0],
        }
        .sampler()
        .unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let tens = (0..40_000).filter(|_| s.sample(&mut rng) == 10).count();
        assert!((tens as f64 / 40_000.0 - 0.75).abs() < 0.01);
    }

    #[test]
    fn exponential_has_its_mean_and_is_memoryless() {
        let s = TokenDist::Exponential { mean: 10_000.0 }.sampler().unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let v: Vec<f64> = (0..40_000).map(|_| s.sample(&mut rng) as f64).collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        // Standard error 10,000/sqrt(40,000) = 50.
        assert!((mean - 10_000.0).abs() < 200.0, "mean {mean}");
        // P(X > m) = e^-1 for an exponential (0.368; 0.5 for a median).
        let above = v.iter().filter(|&&x| x > 10_000.0).count() as f64 / v.len() as f64;
        assert!(
            (above - (-1.0f64).exp()).abs() < 0.01,
            "P(X > mean) = {above}"
        );
        // Coefficient of variation 1.
        let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        assert!((sd / mean - 1.0).abs() < 0.03, "cv {}", sd / mean);
    }

    #[test]
    fn bad_parameters_are_rejected() {
        for mean in [0.0, -5.0, f64::NAN, f64::INFINITY] {
            assert!(TokenDist::Exponential { mean }.sampler().is_err(), "{mean}");
        }
        assert_eq!(
            TokenDist::Uniform { min: 5, max: 1 }
                .sampler()
                .unwrap_err()
                .to_string(),
            "uniform: min 5 is larger than max 1"
        );
        assert_eq!(
            TokenDist::Constant(MAX_TOKENS + 1)
                .sampler()
                .unwrap_err()
                .to_string(),
            "a token count must be at most 1000000000000 tokens, got 1000000000001"
        );
        assert!(
            TokenDist::Empirical {
                values: vec![1],
                weights: vec![0.0]
            }
            .sampler()
            .is_err()
        );
    }
}
