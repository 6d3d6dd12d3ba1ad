//! The chart of a sweep: a line with 95 % intervals for one parameter, a
//! heatmap for two. Points that fail an assertion are drawn hollow (line) or
//! hatched grey (heatmap); the best passing point is ringed.
//!
//! The heatmap's colour scale is robust ([`ColourScale`]): one extreme cell
//! does not flatten the rest. Values spanning more than 10× are coloured on
//! a log scale, and cells beyond Tukey's fences (1.5 interquartile ranges
//! outside the quartiles) are clamped to the ends of the ramp and marked
//! with a triangle; the legend says so.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde_json::Value;

use super::{ChartError, GREY, Key, LIGHT, bold, color, draw_png, font, header, legend, number};
use crate::analysis::compare::Direction;
use crate::analysis::sweep::SweepReport;

fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or(n.to_string(), |x| number(x, 4)),
        other => other.to_string(),
    }
}

/// The last two segments of a parameter path, for titles.
fn short(path: &str) -> String {
    let parts: Vec<&str> = path.split('.').collect();
    parts[parts.len().saturating_sub(2)..].join(".")
}

fn goal_words(d: Direction) -> &'static str {
    match d {
        Direction::LowerIsBetter => "lower is better",
        Direction::HigherIsBetter => "higher is better",
    }
}

/// Draws the sweep chart and returns it as PNG; `Ok(None)` when the sweep
/// has more than two parameters (no chart is drawn then).
pub fn render(r: &SweepReport) -> Result<Option<Vec<u8>>, ChartError> {
    const NAME: &str = "the sweep chart";
    match r.definition.params.len() {
        1 => draw_png(NAME, |root| line(root, r)).map(Some),
        2 => draw_png(NAME, |root| heatmap(root, r)).map(Some),
        _ => Ok(None),
    }
}

fn subtitle(r: &SweepReport) -> String {
    let d = &r.definition;
    format!(
        "{}, strategy {}: mean of {} replications per point with 95% CI; {}; hollow/grey = fails an assertion",
        d.scenario,
        d.strategy,
        d.replications,
        goal_words(d.goal)
    )
}

fn line(root: &super::Area<'_>, r: &SweepReport) -> super::DrawResult {
    let d = &r.definition;
    let title = format!("{} by {}", d.metric, d.params[0].path);
    let area = header(root, &title, &subtitle(r))?;
    let area = legend(
        &area,
        &[
            ("passes the assertions".to_string(), Key::Circle(color(0))),
            ("best".to_string(), Key::Circle(color(3))),
        ],
    )?;
    let values = &d.params[0].values;
    let numeric: Option<Vec<f64>> = values.iter().map(Value::as_f64).collect();
    let xs: Vec<f64> = match &numeric {
        Some(v) => v.clone(),
        None => (0..values.len()).map(|i| i as f64).collect(),
    };
    let pts: Vec<(f64, &crate::analysis::sweep::Point)> = r
        .points
        .iter()
        .map(|p| (xs[p.index % values.len()], p))
        .collect();
    let (x0, x1) = xs
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let pad = if x1 > x0 { (x1 - x0) * 0.05 } else { 0.5 };
    let y1 = pts
        .iter()
        .map(|(_, p)| p.metric.hi())
        .fold(0.0_f64, f64::max)
        * 1.08;
    let y0 = pts
        .iter()
        .map(|(_, p)| p.metric.lo())
        .fold(f64::MAX, f64::min)
        .min(0.0);
    let mut chart = ChartBuilder::on(&area)
        .margin(24)
        .x_label_area_size(56)
        .y_label_area_size(96)
        .build_cartesian_2d((x0 - pad)..(x1 + pad), y0..y1.max(1e-9))?;
    let labels = values.clone();
    chart
        .configure_mesh()
        .light_line_style(LIGHT)
        .x_desc(d.params[0].path.clone())
        .y_desc(d.metric.clone())
        .axis_desc_style(font(18))
        .label_style(font(15))
        .x_label_formatter(&|x| match &numeric {
            Some(_) => number(*x, 3),
            None => labels
                .get(x.round() as usize)
                .filter(|_| (x - x.round()).abs() < 1e-6)
                .map(label)
                .unwrap_or_default(),
        })
        .y_label_formatter(&|y| number(*y, 2))
        .draw()?;
    chart.draw_series(LineSeries::new(
        pts.iter().map(|(x, p)| (*x, p.metric.mean)),
        color(0).stroke_width(2),
    ))?;
    for (x, p) in &pts {
        let c = if r.best == Some(p.index) {
            color(3)
        } else {
            color(0)
        };
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(*x, p.metric.lo()), (*x, p.metric.hi())],
            c.stroke_width(2),
        )))?;
        let style = if p.passed {
            c.filled()
        } else {
            c.stroke_width(2)
        };
        chart.draw_series(std::iter::once(Circle::new((*x, p.metric.mean), 6, style)))?;
    }
    Ok(())
}

/// A blue-to-yellow ramp (viridis endpoints and middle).
fn ramp(t: f64) -> RGBColor {
    let stops = [
        (68.0, 1.0, 84.0),
        (33.0, 145.0, 140.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * 2.0;
    let (i, f) = if t >= 2.0 {
        (1, 1.0)
    } else {
        (t.floor() as usize, t.fract())
    };
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |x: f64, y: f64| (x + (y - x) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// How a heatmap maps a metric to the colour ramp: robust to outliers.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ColourScale {
    /// The value at the bottom of the ramp (in metric units).
    pub lo: f64,
    /// The value at the top.
    pub hi: f64,
    /// Colours by the logarithm (the values span more than 10×).
    pub log: bool,
    /// Some value lies outside `lo..=hi` and is clamped.
    pub clamps: bool,
}

/// The `q` quantile of sorted `xs` (linear interpolation between ranks).
fn quantile(xs: &[f64], q: f64) -> f64 {
    let pos = q * (xs.len() - 1) as f64;
    let (i, f) = (pos.floor() as usize, pos.fract());
    match xs.get(i + 1) {
        Some(next) => xs[i] + (next - xs[i]) * f,
        None => xs[i],
    }
}

/// A box plot's whiskers of sorted `xs` measured through `f`: the most
/// extreme values within Tukey's fences (1.5 interquartile ranges beyond
/// the quartiles); the whole span when that leaves no range.
fn whiskers(xs: &[f64], f: impl Fn(f64) -> f64) -> (f64, f64) {
    let ys: Vec<f64> = xs.iter().map(|&x| f(x)).collect();
    let (q1, q3) = (quantile(&ys, 0.25), quantile(&ys, 0.75));
    let fences = (q1 - 1.5 * (q3 - q1))..=(q3 + 1.5 * (q3 - q1));
    let inside = || xs.iter().copied().filter(|&x| fences.contains(&f(x)));
    let (min, max) = (xs[0], xs[xs.len() - 1]);
    let lo = inside().next().unwrap_or(min);
    let hi = inside().last().unwrap_or(max);
    if hi > lo { (lo, hi) } else { (min, max) }
}

impl ColourScale {
    /// The scale for these values (non-finite ones ignored): the range runs
    /// between a box plot's whiskers (see `whiskers`); log when the values
    /// are positive and, outliers aside, span more than 10× (the whiskers
    /// then found again on the logarithms).
    pub fn new(values: impl IntoIterator<Item = f64>) -> ColourScale {
        let mut xs: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        xs.sort_by(f64::total_cmp);
        let (Some(&min), Some(&max)) = (xs.first(), xs.last()) else {
            return ColourScale {
                lo: 0.0,
                hi: 1.0,
                log: false,
                clamps: false,
            };
        };
        // Decide log on the values without the outliers, then find the
        // outliers again in the space the colours use.
        let (lin_lo, lin_hi) = whiskers(&xs, |x| x);
        let log = min > 0.0 && lin_hi > 10.0 * lin_lo;
        let (lo, hi) = if log {
            whiskers(&xs, f64::ln)
        } else {
            (lin_lo, lin_hi)
        };
        ColourScale {
            lo,
            hi,
            log,
            clamps: min < lo || max > hi,
        }
    }

    /// Where `x` sits on the ramp, 0 at `lo` to 1 at `hi` (clamped; 0.5
    /// when the range is empty).
    pub fn position(&self, x: f64) -> f64 {
        let f = |v: f64| if self.log { v.ln() } else { v };
        if self.hi > self.lo {
            ((f(x) - f(self.lo)) / (f(self.hi) - f(self.lo))).clamp(0.0, 1.0)
        } else {
            0.5
        }
    }

    /// Whether `x` lies beyond the range and is drawn at its end.
    pub fn clamped(&self, x: f64) -> bool {
        x < self.lo || x > self.hi
    }
}

fn heatmap(root: &super::Area<'_>, r: &SweepReport) -> super::DrawResult {
    let d = &r.definition;
    // Cells and legend say a latency in ms, s, min or h, as tables do.
    let value = |x: f64| {
        if crate::export::num::is_duration_ms(&d.metric) {
            crate::export::num::duration_ms(x)
        } else {
            number(x, 1)
        }
    };
    let (px, py) = (&d.params[0], &d.params[1]);
    let title = format!(
        "{} by {} and {}",
        d.metric,
        short(&px.path),
        short(&py.path)
    );
    let area = header(root, &title, &subtitle(r))?;
    let scale = ColourScale::new(r.points.iter().map(|p| p.metric.mean));
    // Good is bright: map so the better end of the metric is yellow.
    let shade = |x: f64| {
        let t = scale.position(x);
        ramp(match d.goal {
            Direction::LowerIsBetter => 1.0 - t,
            Direction::HigherIsBetter => t,
        })
    };
    let (best, worst) = match d.goal {
        Direction::LowerIsBetter => (scale.lo, scale.hi),
        Direction::HigherIsBetter => (scale.hi, scale.lo),
    };
    // A clamped end reads "≤ x" (or "≥ x"): values beyond it share its colour.
    let below = r.points.iter().any(|p| p.metric.mean < scale.lo);
    let above = r.points.iter().any(|p| p.metric.mean > scale.hi);
    let end = |x: f64| {
        let bound = if x == scale.lo && below {
            "≤ "
        } else if x == scale.hi && above {
            "≥ "
        } else {
            ""
        };
        format!("{bound}{}", value(x))
    };
    let mut keys = vec![
        (format!("better ({})", end(best)), Key::Box(ramp(1.0))),
        (format!("worse ({})", end(worst)), Key::Box(ramp(0.0))),
        (
            "fails an assertion".to_string(),
            Key::Box(RGBColor(200, 200, 200)),
        ),
        ("best".to_string(), Key::Line(color(3))),
    ];
    if scale.log {
        keys.push(("colours on a log scale".to_string(), Key::Box(ramp(0.5))));
    }
    if scale.clamps {
        keys.push((
            "outlier, colour clamped (beyond 1.5 IQR)".to_string(),
            Key::Triangle(BLACK),
        ));
    }
    let area = legend(&area, &keys)?;
    let (nx, ny) = (px.values.len(), py.values.len());
    let mut chart = ChartBuilder::on(&area)
        .margin(24)
        .x_label_area_size(56)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..nx as f64, 0.0..ny as f64)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(0)
        .y_labels(0)
        .x_desc(px.path.clone())
        .y_desc(py.path.clone())
        .axis_desc_style(font(18))
        .draw()?;
    // One tick label per cell, centred (plotters would put them at round
    // numbers of the underlying continuous axis).
    let every_x = nx.div_ceil(20).max(1);
    for (i, v) in px.values.iter().enumerate().step_by(every_x) {
        let (cx, cy) = chart.backend_coord(&(i as f64 + 0.5, 0.0));
        root.draw(&Text::new(
            label(v),
            (cx, cy + 8),
            font(15).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    let every_y = ny.div_ceil(20).max(1);
    for (i, v) in py.values.iter().enumerate().step_by(every_y) {
        let (cx, cy) = chart.backend_coord(&(0.0, i as f64 + 0.5));
        root.draw(&Text::new(
            label(v),
            (cx - 8, cy),
            font(15).pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    let show_values = nx * ny <= 150;
    for p in &r.points {
        let (ix, iy) = (p.index / ny, p.index % ny);
        let (x, y) = (ix as f64, iy as f64);
        let fill = if p.passed {
            shade(p.metric.mean)
        } else {
            RGBColor(200, 200, 200)
        };
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x, y), (x + 1.0, y + 1.0)],
            fill.filled(),
        )))?;
        chart.draw_series(std::iter::once(Rectangle::new(
            [(x, y), (x + 1.0, y + 1.0)],
            WHITE.stroke_width(1),
        )))?;
        if r.best == Some(p.index) {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x + 0.04, y + 0.04), (x + 0.96, y + 0.96)],
                color(3).stroke_width(4),
            )))?;
        }
        if p.passed && scale.clamped(p.metric.mean) {
            // A corner triangle: this cell's value lies beyond the colours.
            let (cx, cy) = chart.backend_coord(&(x + 0.88, y + 0.86));
            root.draw(&TriangleMarker::new((cx, cy), 7, WHITE.filled()))?;
            root.draw(&TriangleMarker::new((cx, cy), 5, BLACK.filled()))?;
        }
        if show_values {
            let text_color = if p.passed && shade(p.metric.mean).1 > 150 {
                BLACK
            } else if p.passed {
                WHITE
            } else {
                GREY
            };
            chart.draw_series(std::iter::once(Text::new(
                value(p.metric.mean),
                (x + 0.5, y + 0.5),
                bold(14)
                    .color(&text_color)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_extreme_cell_is_clamped_and_the_rest_spread_over_the_ramp() {
        // Eight cells between 10 and 17 and one at 1,000.
        let mut xs: Vec<f64> = (10..18).map(f64::from).collect();
        xs.push(1_000.0);
        let s = ColourScale::new(xs.iter().copied());
        // Outliers aside the values span 1.7x: linear colours.
        assert!(!s.log);
        assert!(s.clamps);
        assert!(s.clamped(1_000.0));
        assert!(!s.clamped(10.0) && !s.clamped(17.0));
        assert_eq!(s.position(1_000.0), 1.0);
        assert_eq!(s.position(10.0), 0.0);
        // Without the clamp 17 would sit at 7/990 of the ramp.
        assert_eq!((s.lo, s.hi), (10.0, 17.0));
        assert_eq!(s.position(17.0), 1.0);
    }

    #[test]
    fn evenly_spread_values_are_not_clamped_and_log_only_past_ten_times() {
        let s = ColourScale::new([1.0, 10.0, 100.0, 1_000.0]);
        assert!(s.log && !s.clamps);
        assert_eq!((s.lo, s.hi), (1.0, 1_000.0));
        assert!((s.position(10.0) - 1.0 / 3.0).abs() < 1e-12);
        let s = ColourScale::new([2.0, 4.0, 6.0, 8.0, 10.0]);
        assert!(!s.log && !s.clamps);
        assert_eq!(s.position(6.0), 0.5);
        // 20 is past Q3 + 1.5 IQR = 14: the range ends at 8.
        let s = ColourScale::new([2.0, 4.0, 6.0, 8.0, 20.0]);
        assert!(!s.log && s.clamps);
        assert_eq!((s.lo, s.hi), (2.0, 8.0));
        // Equal values and one outlier: the range cannot collapse.
        let s = ColourScale::new([5.0, 5.0, 5.0, 5.0, 7.0]);
        assert_eq!((s.lo, s.hi), (5.0, 7.0));
        assert!(!s.clamps);
        // Negative values: linear.
        let s = ColourScale::new([-3.0, 1.0, 40.0]);
        assert!(!s.log);
        assert_eq!(ColourScale::new([]).position(3.0), 1.0);
    }
}
