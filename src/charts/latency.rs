//! The latency chart of a `simulate` report: the CDF of each strategy's
//! latency on a log axis, its p50 and p99 marked.

use hdrhistogram::Histogram;
use plotters::prelude::*;

use super::context::{Ctx, MARGIN, X_LABELS, Y_LABELS};
use super::{Area, DrawResult, GREY, Key, LIGHT, color, font, header, legend, number};
use crate::export::num::duration_ms;

impl Ctx<'_> {
    pub(super) fn latency(&self, root: &Area<'_>, title: &str) -> DrawResult {
        let curves: Vec<Vec<(f64, f64)>> = self.runs.iter().map(|r| cdf(r.latency_us)).collect();
        let (lo, hi) = curves
            .iter()
            .flatten()
            .fold((f64::INFINITY, 0.0_f64), |(lo, hi), p| {
                (lo.min(p.0), hi.max(p.0))
            });
        let (lo, hi) = if lo.is_finite() && hi > 0.0 {
            let lo = step_125(lo.max(0.001), false);
            (lo, step_125(hi, true).max(lo * 10.0))
        } else {
            (1.0, 1000.0)
        };
        let mut keys: Vec<(String, Key)> = self
            .report
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let l = &r.total.latency_ms;
                let label = match (l.p50, l.p99) {
                    (Some(p50), Some(p99)) if r.total.succeeded > 0 => {
                        format!(
                            "{}: p50 {}, p99 {}",
                            r.strategy,
                            duration_ms(p50),
                            duration_ms(p99)
                        )
                    }
                    _ => format!("{}: no successes", r.strategy),
                };
                (label, Key::Line(color(i)))
            })
            .collect();
        keys.push(("median (p50)".to_string(), Key::Circle(BLACK)));
        keys.push(("p99".to_string(), Key::Triangle(BLACK)));
        let area = header(root, title, &self.subtitle)?;
        let area = legend(&area, &keys)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(MARGIN)
            .margin_top(8)
            .x_label_area_size(X_LABELS)
            .y_label_area_size(Y_LABELS)
            .margin_right(48)
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.0)?;
        let x_fmt = |v: &f64| number(*v, 1);
        let y_fmt = |v: &f64| format!("{} %", number(v * 100.0, 0));
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(LIGHT)
            .axis_desc_style(font(18))
            .label_style(font(15))
            .x_desc("latency from arrival to success (ms, log scale)")
            .x_labels(10)
            .y_desc("successful requests at or below (%)")
            .y_labels(11)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()?;
        for q in [0.5, 0.99] {
            chart.draw_series(DashedLineSeries::new(
                [(lo, q), (hi, q)],
                6,
                5,
                GREY.stroke_width(1),
            ))?;
        }
        for (i, points) in curves.iter().enumerate() {
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                color(i).stroke_width(2),
            ))?;
        }
        for (i, r) in self.report.results.iter().enumerate() {
            if curves[i].is_empty() {
                continue;
            }
            let l = &r.total.latency_ms;
            let (Some(p50), Some(p99)) = (l.p50, l.p99) else {
                continue;
            };
            let c = color(i);
            chart.draw_series([
                Circle::new((p50.max(lo), 0.5), 8, WHITE.filled()),
                Circle::new((p50.max(lo), 0.5), 6, c.filled()),
            ])?;
            chart.draw_series([
                TriangleMarker::new((p99.max(lo), 0.99), 10, WHITE.filled()),
                TriangleMarker::new((p99.max(lo), 0.99), 8, c.filled()),
            ])?;
        }
        Ok(())
    }
}

/// Cumulative distribution of a latency histogram: `(ms, fraction)` points.
fn cdf(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    let total = h.len();
    if total == 0 {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut seen = 0u64;
    let first = h.min() as f64 / 1000.0;
    out.push((first, 0.0));
    for v in h.iter_recorded() {
        seen += v.count_at_value();
        let ms = h.highest_equivalent(v.value_iterated_to()) as f64 / 1000.0;
        out.push((ms, seen as f64 / total as f64));
    }
    out
}

/// The nearest 1, 2 or 5 times a power of ten below (or, with `up`, above)
/// `v`: round ends for a log axis.
fn step_125(v: f64, up: bool) -> f64 {
    let p = 10f64.powf(v.log10().floor());
    let steps = [1.0, 2.0, 5.0, 10.0];
    if up {
        steps
            .iter()
            .map(|m| m * p)
            .find(|x| *x >= v * (1.0 - 1e-12))
            .unwrap_or(10.0 * p)
    } else {
        steps
            .iter()
            .rev()
            .map(|m| m * p)
            .find(|x| *x <= v * (1.0 + 1e-12))
            .unwrap_or(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_ends() {
        assert_eq!(step_125(640.0, false), 500.0);
        assert_eq!(step_125(150_000.0, true), 200_000.0);
        assert_eq!(step_125(1_000.0, false), 1_000.0);
        assert_eq!(step_125(1_000.0, true), 1_000.0);
        assert_eq!(step_125(1_900.0, false), 1_000.0);
    }

    #[test]
    fn cdf_reaches_one() {
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in [1_000, 2_000, 2_000, 50_000] {
            h.record(v).unwrap();
        }
        let c = cdf(&h);
        assert_eq!(c.first().unwrap().1, 0.0);
        assert_eq!(c.last().unwrap().1, 1.0);
        assert!(c.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }
}
