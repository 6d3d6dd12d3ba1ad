//! Why a stream's specification cannot be turned into a generator.

use crate::workload::MAX_TOKENS;

/// A token distribution or a stream setting with impossible parameters.
///
/// The scenario loader checks every distribution with
/// [`TokenDist::sampler`](crate::workload::TokenDist::sampler) and points
/// this message at the offending value;
/// [`StreamGen::new`](crate::workload::StreamGen::new) fails with it only
/// for a specification built in code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// A token count (a constant, a `uniform` max, an `empirical` value)
    /// above [`MAX_TOKENS`]: sums of a request's counts could overflow.
    #[error("{what} must be at most {MAX_TOKENS} tokens, got {got}")]
    CountTooLarge {
        /// The field, as the message names it (`"uniform: max"`).
        what: &'static str,
        /// The value given.
        got: u64,
    },
    /// A `lognormal` median or an `exponential` mean above [`MAX_TOKENS`].
    #[error("{what} must be at most {MAX_TOKENS} tokens, got {got}")]
    ParameterTooLarge {
        /// The field, as the message names it (`"lognormal: median"`).
        what: &'static str,
        /// The value given.
        got: f64,
    },
    /// `uniform` with `min > max`: the range is empty.
    #[error("uniform: min {min} is larger than max {max}")]
    UniformMinAboveMax {
        /// Smallest value given.
        min: u64,
        /// Largest value given.
        max: u64,
    },
    /// A `lognormal` median that is not a positive finite number (its log
    /// is the distribution's mu).
    #[error("lognormal: median must be > 0, got {0}")]
    LogNormalMedian(f64),
    /// A `lognormal` sigma that is negative or not finite.
    #[error("lognormal: sigma must be >= 0, got {0}")]
    LogNormalSigma(f64),
    /// `rand_distr` refused the log-normal parameters (after the checks
    /// above, only for values they do not foresee).
    #[error("lognormal: {0}")]
    LogNormal(#[source] rand_distr::NormalError),
    /// `empirical` with no values, or not one weight per value.
    #[error(
        "empirical: needs as many weights as values and at least one \
         (got {values} values, {weights} weights)"
    )]
    EmpiricalLengths {
        /// Number of values.
        values: usize,
        /// Number of weights.
        weights: usize,
    },
    /// `empirical` weights that are negative, not finite or all zero.
    #[error("empirical: invalid weights ({0})")]
    EmpiricalWeights(#[source] rand::distr::weighted::Error),
    /// An `exponential` mean that is not a positive finite number.
    #[error("exponential: mean must be > 0, got {0}")]
    ExponentialMean(f64),
    /// `rand_distr` refused the exponential rate (1 / mean).
    #[error("exponential: {0}")]
    Exponential(#[source] rand_distr::ExpError),
    /// A `prompt_cache` Zipf exponent `rand_distr` refuses.
    #[error("prompt_cache zipf: {0}")]
    Zipf(#[source] rand_distr::ZipfError),
}
