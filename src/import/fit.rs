//! Token-size distributions fitted to data, in bounded memory: a lognormal
//! by maximum likelihood (from the sums of ln x and (ln x)², exact however
//! many values stream past) judged against a log-spaced histogram by the
//! Kolmogorov–Smirnov distance, and an `empirical` distribution from the same
//! histogram when the lognormal fits badly.

use std::collections::BTreeMap;

use statrs::distribution::{ContinuousCDF, LogNormal};

/// Histogram bins per unit of ln x (bins are e^0.1 ≈ 10.5 % wide).
const BINS_PER_E: f64 = 10.0;
/// Bins: ln x up to 24 (x up to ~2.6e10 tokens).
const BINS: usize = 240;
/// Largest KS distance at which the lognormal is kept on large samples; on
/// small ones the 5 % critical value 1.36/√n (see [`LogFit::ks_limit`]).
pub const KS_GOOD: f64 = 0.05;

/// A streaming fit of positive values (zeros are counted apart).
#[derive(Debug, Clone, PartialEq)]
pub struct LogFit {
    n: u64,
    zeros: u64,
    sum_ln: f64,
    sum_ln2: f64,
    sum: u128,
    /// Per bin: values and their sum.
    bins: Vec<(u64, u128)>,
}

impl Default for LogFit {
    fn default() -> Self {
        LogFit {
            n: 0,
            zeros: 0,
            sum_ln: 0.0,
            sum_ln2: 0.0,
            sum: 0,
            bins: vec![(0, 0); BINS],
        }
    }
}

/// What the data says about a token size.
#[derive(Debug, Clone, PartialEq)]
pub enum Fitted {
    /// No values at all.
    Empty,
    /// Every value the same.
    Constant(u64),
    /// Lognormal (maximum likelihood): median e^μ, σ; `ks` its distance
    /// from the data.
    Lognormal {
        /// e^μ.
        median: f64,
        /// σ.
        sigma: f64,
        /// Kolmogorov–Smirnov distance to the data's histogram.
        ks: f64,
    },
    /// The data's histogram, coarsened; `ks` is the lognormal's distance
    /// that made it the choice.
    Empirical {
        /// Representative values (the mean of each coarse bin).
        values: Vec<u64>,
        /// Shares, summing to 1.
        weights: Vec<f64>,
        /// The rejected lognormal's KS distance.
        ks: f64,
    },
}

impl LogFit {
    /// Adds one value.
    pub fn add(&mut self, x: u64) {
        self.n += 1;
        self.sum += u128::from(x);
        if x == 0 {
            self.zeros += 1;
            return;
        }
        let l = (x as f64).ln();
        self.sum_ln += l;
        self.sum_ln2 += l * l;
        let b = ((l * BINS_PER_E) as usize).min(BINS - 1);
        self.bins[b].0 += 1;
        self.bins[b].1 += u128::from(x);
    }

    /// Values seen.
    pub fn count(&self) -> u64 {
        self.n
    }

    /// Mean value (0 if none).
    pub fn mean(&self) -> f64 {
        if self.n == 0 {
            0.0
        } else {
            self.sum as f64 / self.n as f64
        }
    }

    /// Maximum-likelihood lognormal parameters (μ, σ) of the positive
    /// values: μ the mean of ln x, σ² the mean squared deviation (the MLE
    /// divides by n, not n − 1).
    pub fn mle(&self) -> Option<(f64, f64)> {
        let n = (self.n - self.zeros) as f64;
        if n < 1.0 {
            return None;
        }
        let mu = self.sum_ln / n;
        let var = (self.sum_ln2 / n - mu * mu).max(0.0);
        Some((mu, var.sqrt()))
    }

    /// KS distance between the data (zeros included) and the lognormal
    /// (μ, σ), checked at every histogram bin edge.
    pub fn ks(&self, mu: f64, sigma: f64) -> f64 {
        let Ok(d) = LogNormal::new(mu, sigma.max(1e-9)) else {
            return 1.0;
        };
        let n = self.n as f64;
        let mut below = self.zeros as f64;
        let mut worst = below / n;
        for (i, (c, _)) in self.bins.iter().enumerate() {
            if *c == 0 && below == 0.0 {
                continue;
            }
            below += *c as f64;
            // Values in bin i are < e^((i+1)/BINS_PER_E); as integers, the
            // empirical CDF is flat up to the next integer.
            let edge = ((i + 1) as f64 / BINS_PER_E).exp();
            let fitted = d.cdf(edge.ceil() - 0.5);
            worst = worst.max((below / n - fitted).abs());
            if below >= n {
                break;
            }
        }
        worst
    }

    /// The KS distance up to which a lognormal is accepted: [`KS_GOOD`], or
    /// the 5 % critical value 1.36/√n when that is larger (small samples
    /// stray further from any true distribution).
    pub fn ks_limit(&self) -> f64 {
        KS_GOOD.max(1.36 / (self.n.max(1) as f64).sqrt())
    }

    /// The distribution to write: a constant when all values agree, the
    /// lognormal when its KS distance is at most [`LogFit::ks_limit`], else the
    /// empirical histogram coarsened to at most 20 values.
    pub fn fitted(&self) -> Fitted {
        if self.n == 0 {
            return Fitted::Empty;
        }
        if let Some(v) = self.single() {
            return Fitted::Constant(v);
        }
        let Some((mu, sigma)) = self.mle() else {
            return Fitted::Constant(0);
        };
        let ks = self.ks(mu, sigma);
        if ks <= self.ks_limit() && sigma > 0.0 {
            return Fitted::Lognormal {
                median: mu.exp(),
                sigma,
                ks,
            };
        }
        let (values, weights) = self.empirical(20);
        Fitted::Empirical {
            values,
            weights,
            ks,
        }
    }

    /// The one value every record had, if so.
    fn single(&self) -> Option<u64> {
        if self.zeros == self.n {
            return Some(0);
        }
        if self.zeros > 0 {
            return None;
        }
        let used: Vec<&(u64, u128)> = self.bins.iter().filter(|b| b.0 > 0).collect();
        match used.as_slice() {
            [(c, s)]
                if s % u128::from(*c) == 0
                    && self.sum_ln2 / (*c as f64) - (self.sum_ln / *c as f64).powi(2) < 1e-12 =>
            {
                Some((s / u128::from(*c)) as u64)
            }
            _ => None,
        }
    }

    /// The histogram merged into at most `max` bins of roughly equal mass;
    /// each value is its bin's mean, so the distribution's mean is the data's.
    fn empirical(&self, max: usize) -> (Vec<u64>, Vec<f64>) {
        let n = self.n as f64;
        let target = (self.n as f64 / max as f64).ceil().max(1.0);
        let mut values = Vec::new();
        let mut weights = Vec::new();
        if self.zeros > 0 {
            values.push(0);
            weights.push(self.zeros as f64 / n);
        }
        let (mut c, mut s) = (0u64, 0u128);
        for (bc, bs) in &self.bins {
            c += bc;
            s += bs;
            if c as f64 >= target {
                values.push((s as f64 / c as f64).round() as u64);
                weights.push(c as f64 / n);
                (c, s) = (0, 0);
            }
        }
        if c > 0 {
            values.push((s as f64 / c as f64).round() as u64);
            weights.push(c as f64 / n);
        }
        (values, weights)
    }
}

/// Distinct values with their counts (for `max_tokens`, which programs set
/// to a few fixed values).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Values(BTreeMap<u64, u64>);

impl Values {
    /// Counts one value; past 1,000 distinct values new ones are folded
    /// into the largest so memory stays bounded.
    pub fn add(&mut self, v: u64) {
        if self.0.len() >= 1000 && !self.0.contains_key(&v) {
            let Some((&top, _)) = self.0.iter().next_back() else {
                return;
            };
            *self.0.entry(top.max(v)).or_default() += 1;
            return;
        }
        *self.0.entry(v).or_default() += 1;
    }

    /// Values and counts, ascending.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.0.iter().map(|(k, v)| (*k, *v))
    }

    /// Number of values counted.
    pub fn count(&self) -> u64 {
        self.0.values().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use rand_distr::{Distribution, LogNormal as Ln};

    #[test]
    fn mle_recovers_known_parameters() {
        // 20,000 draws of lognormal(μ = ln 800, σ = 0.6), rounded to whole
        // tokens as real counts are; the MLE's standard errors are
        // σ/√n ≈ 0.004 for μ and σ/√(2n) ≈ 0.003 for σ.
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let d = Ln::new(800f64.ln(), 0.6).unwrap_or_else(|_| unreachable!());
        let mut f = LogFit::default();
        for _ in 0..20_000 {
            f.add(d.sample(&mut rng).round().max(1.0) as u64);
        }
        let (mu, sigma) = f.mle().unwrap_or_default();
        assert!((mu.exp() / 800.0 - 1.0).abs() < 0.02, "median {}", mu.exp());
        assert!((sigma - 0.6).abs() < 0.015, "sigma {sigma}");
        match f.fitted() {
            Fitted::Lognormal { ks, .. } => assert!(ks < 0.02, "ks {ks}"),
            other => panic!("expected a lognormal, got {other:?}"),
        }
    }

    #[test]
    fn bimodal_data_is_empirical_with_the_same_mean() {
        // Half 100s, half 5,000s: no lognormal fits (KS ≈ 0.5 at the gap).
        let mut f = LogFit::default();
        for i in 0..1000 {
            f.add(if i % 2 == 0 { 100 } else { 5000 });
        }
        let Fitted::Empirical {
            values,
            weights,
            ks,
        } = f.fitted()
        else {
            panic!("expected empirical");
        };
        assert!(ks > 0.3);
        let mean: f64 = values
            .iter()
            .zip(&weights)
            .map(|(v, w)| *v as f64 * w)
            .sum();
        assert!((mean - 2550.0).abs() < 1e-6, "mean {mean}");
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-9);
    }

    #[test]
    fn one_value_is_a_constant() {
        let mut f = LogFit::default();
        for _ in 0..5 {
            f.add(1024);
        }
        assert_eq!(f.fitted(), Fitted::Constant(1024));
        let mut z = LogFit::default();
        z.add(0);
        assert_eq!(z.fitted(), Fitted::Constant(0));
    }
}
