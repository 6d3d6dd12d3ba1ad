//! The latency chart of a `simulate` report: for each strategy, the share
//! of *all* logical requests that had succeeded by each latency (log axis).
//! A request that failed never arrives, so a curve stops short of 100 %
//! by its failure share (drawn dashed to the right edge): a strategy that
//! gives up early cannot look fast here. The p50 and p99 of all requests
//! are marked where the curve reaches them; a curve that never reaches
//! 99 % has no p99.

use hdrhistogram::Histogram;
use plotters::prelude::*;

use super::context::{Ctx, MARGIN, X_LABELS, Y_LABELS};
use super::{Area, DrawResult, GREY, Key, LIGHT, color, font, header, legend, number};
use crate::export::num::duration_ms;

impl Ctx<'_> {
    pub(super) fn latency(&self, root: &Area<'_>, title: &str) -> DrawResult {
        let curves: Vec<Vec<(f64, f64)>> = self
            .runs
            .iter()
            .zip(&self.report.results)
            .map(|(run, r)| cdf(run.latency_us, r.total.requests))
            .collect();
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
                let at = |q: f64| crossing(&curves[i], q).map_or("never".to_string(), duration_ms);
                let failed = r.total.requests - r.total.succeeded.min(r.total.requests);
                let label = if r.total.succeeded == 0 {
                    format!("{}: no successes", r.strategy)
                } else {
                    let mut l = format!("{}: p50 {}, p99 {}", r.strategy, at(0.5), at(0.99));
                    if failed > 0 {
                        l.push_str(&format!(
                            "; {} % never succeed",
                            number(failed as f64 * 100.0 / r.total.requests as f64, 1)
                        ));
                    }
                    l
                };
                (label, Key::Line(color(i)))
            })
            .collect();
        keys.push((
            "median (p50) of all requests".to_string(),
            Key::Circle(BLACK),
        ));
        keys.push(("p99 of all requests".to_string(), Key::Triangle(BLACK)));
        keys.push((
            "failed: never arrives (dashed)".to_string(),
            Key::Dashed(GREY),
        ));
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
            .y_desc("all requests succeeded by then (%)")
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
            // The failures: the curve's plateau runs on, dashed, to the
            // right edge — those requests never arrive.
            if let Some(&(x, y)) = points.last()
                && y < 1.0
            {
                chart.draw_series(DashedLineSeries::new(
                    [(x.max(lo), y), (hi, y)],
                    8,
                    6,
                    color(i).stroke_width(2),
                ))?;
            }
        }
        for (i, points) in curves.iter().enumerate() {
            let c = color(i);
            if let Some(p50) = crossing(points, 0.5) {
                chart.draw_series([
                    Circle::new((p50.max(lo), 0.5), 8, WHITE.filled()),
                    Circle::new((p50.max(lo), 0.5), 6, c.filled()),
                ])?;
            }
            if let Some(p99) = crossing(points, 0.99) {
                chart.draw_series([
                    TriangleMarker::new((p99.max(lo), 0.99), 10, WHITE.filled()),
                    TriangleMarker::new((p99.max(lo), 0.99), 8, c.filled()),
                ])?;
            }
        }
        Ok(())
    }
}

/// Cumulative distribution of the successes' latency over all `requests`
/// logical requests: `(ms, fraction of all requests)` points, ending at the
/// success share (below 1 when some failed).
fn cdf(h: &Histogram<u64>, requests: u64) -> Vec<(f64, f64)> {
    let total = requests.max(h.len());
    if h.is_empty() || total == 0 {
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

/// The first latency at which the curve reaches share `q` of all requests,
/// if it does.
fn crossing(points: &[(f64, f64)], q: f64) -> Option<f64> {
    points.iter().find(|p| p.1 >= q - 1e-12).map(|p| p.0)
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
        let c = cdf(&h, 4);
        assert_eq!(c.first().unwrap().1, 0.0);
        assert_eq!(c.last().unwrap().1, 1.0);
        assert!(c.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }

    #[test]
    fn failures_keep_the_curve_below_one_and_have_no_quantile() {
        // 4 successes of 8 requests: the curve ends at 50 %. One request
        // (12.5 %) had succeeded by 1 ms and three (37.5 %) by 2 ms, so a
        // quarter of all requests is first reached at 2 ms; the median of
        // all requests is the slowest success, and there is no p99.
        let mut h = Histogram::<u64>::new(3).unwrap();
        for v in [1_000, 2_000, 2_000, 50_000] {
            h.record(v).unwrap();
        }
        let c = cdf(&h, 8);
        assert_eq!(c.last().unwrap().1, 0.5);
        assert_eq!(
            crossing(&c, 0.25),
            Some(h.highest_equivalent(2_000) as f64 / 1000.0)
        );
        assert_eq!(
            crossing(&c, 0.5),
            Some(h.highest_equivalent(50_000) as f64 / 1000.0)
        );
        assert_eq!(crossing(&c, 0.99), None);
    }
}
