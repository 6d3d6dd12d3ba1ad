//! What the charts of a `simulate` report share: the runs, a subtitle, the
//! time axis, per-minute series from the per-bucket measurements, and the
//! small-multiples grid (one panel per strategy).

use hdrhistogram::Histogram;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{Area, DrawResult, LIGHT, TimeAxis, bold, font, number};
use crate::engine::SimTime;
use crate::metrics::Series;
use crate::report::Report;

/// One strategy's measurements that the charts need besides the report, in
/// the order of `report.results`.
#[derive(Clone, Copy, Debug)]
pub struct ChartRun<'a> {
    /// Its per-bucket series.
    pub series: &'a Series,
    /// Latency of its successes over all classes, in microseconds.
    pub latency_us: &'a Histogram<u64>,
}

/// What every chart of one report shares.
pub(super) struct Ctx<'a> {
    pub(super) report: &'a Report,
    pub(super) runs: &'a [ChartRun<'a>],
    pub(super) names: Vec<&'a str>,
    pub(super) subtitle: String,
    pub(super) axis: TimeAxis,
    /// End of the simulated time, seconds.
    pub(super) span_s: f64,
    /// Bucket width, whole seconds.
    pub(super) width_s: u64,
}

/// Margin and label areas of a full-width chart.
pub(super) const MARGIN: u32 = 24;
pub(super) const X_LABELS: u32 = 56;
pub(super) const Y_LABELS: u32 = 96;

impl<'a> Ctx<'a> {
    pub(super) fn new(report: &'a Report, runs: &'a [ChartRun<'a>]) -> Ctx<'a> {
        let width_s = runs
            .first()
            .map_or(1, |r| r.series.width().as_nanos() / SimTime::NANOS_PER_SEC)
            .max(1);
        // Time axes end when the last run goes quiet (a long drain for
        // batches would otherwise squeeze the traffic into a corner), but
        // never before the arrival window ends.
        let last_active = runs
            .iter()
            .filter_map(|r| (0..r.series.len()).rev().find(|&i| active(r.series, i)))
            .max();
        let span_s = last_active.map_or(report.duration_s, |i| ((i as u64 + 2) * width_s) as f64);
        let span_s = span_s
            .max(report.duration_s)
            .min(report.duration_s + report.drain_s);
        Ctx {
            report,
            runs,
            names: report.results.iter().map(|r| r.strategy.as_str()).collect(),
            subtitle: format!(
                "scenario {}, seed {}, {} limiter, {}; {} s simulated + {} s drain",
                report.scenario,
                report.seed,
                report.limiter.algorithm,
                report.tier,
                number(report.duration_s, 0),
                number(report.drain_s, 0)
            ),
            axis: TimeAxis::for_span(span_s),
            span_s,
            width_s,
        }
    }

    /// `(x, y)` points of a per-bucket value as a per-minute rate: over the
    /// trailing 60 s when buckets divide a minute, else the bucket's average.
    pub(super) fn per_minute(
        &self,
        series: &Series,
        value: impl Fn(usize) -> u64,
    ) -> Vec<(f64, f64)> {
        let w = self.width_s;
        let n = series.len();
        let mut out = Vec::with_capacity(n);
        if 60 % w == 0 {
            let k = (60 / w) as usize;
            let mut sum = 0u64;
            for i in 0..n {
                sum += value(i);
                if i >= k {
                    sum -= value(i - k);
                }
                let t = ((i as u64 + 1) * w) as f64;
                out.push((self.x(t.min(self.span_s)), sum as f64));
            }
        } else {
            for i in 0..n {
                let t = (i as u64 * w) as f64 + w as f64 / 2.0;
                out.push((
                    self.x(t.min(self.span_s)),
                    value(i) as f64 * 60.0 / w as f64,
                ));
            }
        }
        out
    }

    /// A per-bucket value as a step line of whole-minute counts (or the
    /// bucket's per-minute average when buckets are longer than a minute).
    pub(super) fn per_minute_steps(
        &self,
        series: &Series,
        value: impl Fn(usize) -> u64,
    ) -> Vec<(f64, f64)> {
        let w = self.width_s;
        let n = series.len();
        let (group, scale) = if 60 % w == 0 {
            ((60 / w) as usize, 1.0)
        } else {
            (1, 60.0 / w as f64)
        };
        let mut out = Vec::new();
        let mut i = 0;
        while i < n {
            let end = (i + group).min(n);
            let v = (i..end).map(&value).sum::<u64>() as f64 * scale;
            let t0 = (i as u64 * w) as f64;
            let t1 = ((end as u64 * w) as f64).min(self.span_s);
            if t0 >= self.span_s {
                break;
            }
            out.push((self.x(t0), v));
            out.push((self.x(t1), v));
            i = end;
        }
        out
    }

    /// A per-bucket level (a peak) at each bucket's middle.
    pub(super) fn levels(&self, series: &Series, value: impl Fn(usize) -> u64) -> Vec<(f64, f64)> {
        let w = self.width_s as f64;
        (0..series.len())
            .map(|i| (i as f64 * w + w / 2.0, value(i) as f64))
            .filter(|(t, _)| *t <= self.span_s)
            .map(|(t, v)| (self.x(t), v))
            .collect()
    }

    pub(super) fn x(&self, seconds: f64) -> f64 {
        seconds / self.axis.divisor
    }

    pub(super) fn x_max(&self) -> f64 {
        self.x(self.span_s)
    }

    /// Small multiples: one time panel per strategy on a shared y scale,
    /// captioned, each drawn by `draw`.
    pub(super) fn grid<'b>(
        &self,
        area: &Area<'b>,
        y_max: f64,
        y_desc: &str,
        captions: &[String],
        mut draw: impl FnMut(usize, &mut Chart2d<'_, 'b>) -> DrawResult,
    ) -> DrawResult {
        let n = self.runs.len().max(1);
        let cols = match n {
            1..=3 => n,
            4 => 2,
            5..=6 => 3,
            7..=12 => 4,
            _ => 5,
        };
        let rows = n.div_ceil(cols);
        let area = area.margin(0, 8, 12, 12);
        let panels = area.split_evenly((rows, cols));
        let y_fmt = |v: &f64| number(*v, 2);
        let x_fmt = |v: &f64| number(*v, 1);
        for (k, caption) in captions.iter().enumerate().take(self.runs.len()) {
            let mut chart = ChartBuilder::on(&panels[k])
                .caption(caption, bold(15))
                .margin(8)
                .x_label_area_size(40)
                .y_label_area_size(72)
                .build_cartesian_2d(0.0..self.x_max(), 0.0..y_max)?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .bold_line_style(LIGHT)
                .axis_desc_style(font(13))
                .label_style(font(12))
                .x_desc(self.axis.desc())
                .y_desc(y_desc)
                .x_labels(8)
                .y_labels(8)
                .x_label_formatter(&x_fmt)
                .y_label_formatter(&y_fmt)
                .draw()?;
            draw(k, &mut chart)?;
        }
        Ok(())
    }
}

/// Whether anything happened in bucket `i`.
fn active(s: &Series, i: usize) -> bool {
    s.queue_peak(i) > 0
        || (0..s.pools()).any(|p| {
            let b = s.pool(i, p);
            b.attempts > 0
                || b.in_flight_peak > 0
                || b.overloaded > 0
                || b.rate_limited.iter().any(|&n| n > 0)
        })
}

/// A 2-D chart with linear axes.
pub(super) type Chart2d<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The largest y of some points (0 when there are none).
pub(super) fn max_y<'p>(points: impl Iterator<Item = &'p (f64, f64)>) -> f64 {
    points.map(|p| p.1).fold(0.0_f64, f64::max)
}

/// A round axis maximum at or above `v`: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8
/// times a power of ten.
pub(super) fn nice_max(v: f64) -> f64 {
    if v <= 0.0 || !v.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(v.log10().floor());
    for m in [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0] {
        if m * p >= v * (1.0 - 1e-12) {
            return m * p;
        }
    }
    10.0 * p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_maxima() {
        assert_eq!(nice_max(0.0), 1.0);
        assert_eq!(nice_max(7.3), 8.0);
        assert_eq!(nice_max(30_000.0), 30_000.0);
        assert_eq!(nice_max(32_400.0), 40_000.0);
        assert_eq!(nice_max(0.11), 0.12);
    }
}
