//! The charts of a `simulate` report: utilisation of each limit per pool,
//! 429s and 529s per minute, the latency CDF, cost and goodput, and the
//! client queue. [`planned`] names the files before anything is simulated
//! (so `--out` can refuse to overwrite them); [`render`] draws them.

use std::path::Path;

use hdrhistogram::Histogram;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Area, DrawResult, GREY, Key, LIGHT, TimeAxis, bold, color, duration_words, font, header,
    legend, number, save,
};
use crate::engine::SimTime;
use crate::export::num::duration_ms;
use crate::metrics::Series;
use crate::model::Dimension;
use crate::report::{PoolReport, Report};

/// One strategy's measurements that the charts need besides the report, in
/// the order of `report.results`.
#[derive(Clone, Copy, Debug)]
pub struct ChartRun<'a> {
    /// Its per-bucket series.
    pub series: &'a Series,
    /// Latency of its successes over all classes, in microseconds.
    pub latency_us: &'a Histogram<u64>,
}

/// A limit dimension charted against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Util {
    Rpm,
    Itpm,
    Otpm,
    Tpm,
    Concurrency,
}

impl Util {
    fn slug(self) -> &'static str {
        match self {
            Util::Rpm => "rpm",
            Util::Itpm => "itpm",
            Util::Otpm => "otpm",
            Util::Tpm => "tpm",
            Util::Concurrency => "concurrency",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Util::Rpm => "RPM",
            Util::Itpm => "ITPM",
            Util::Otpm => "OTPM",
            Util::Tpm => "TPM",
            Util::Concurrency => "Concurrency",
        }
    }

    fn limit(self, p: &PoolReport) -> Option<u64> {
        match self {
            Util::Rpm => p.rpm,
            Util::Itpm => p.itpm,
            Util::Otpm => p.otpm,
            Util::Tpm => p.tpm,
            Util::Concurrency => p.max_concurrent,
        }
    }

    fn unit(self) -> &'static str {
        match self {
            Util::Rpm => "requests/min",
            Util::Itpm => "input tokens/min",
            Util::Otpm => "output tokens/min",
            Util::Tpm => "tokens/min",
            Util::Concurrency => "requests in flight",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Latency,
    CostGoodput,
    Errors,
    Utilisation { pool: usize, util: Util },
    Queue,
}

/// A chart file and what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chart {
    /// File name inside the output directory.
    pub file: String,
    /// Title, also the image's alt text in `report.md`.
    pub title: String,
    kind: Kind,
}

/// A pool name made safe for a file name.
fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

/// The charts a report gets, in the order `report.md` shows them. Depends
/// only on the scenario's pools, so it is known before simulating.
pub fn planned(report: &Report) -> Vec<Chart> {
    let chart = |file: &str, title: &str, kind| Chart {
        file: file.to_string(),
        title: title.to_string(),
        kind,
    };
    let mut charts = vec![
        chart("latency-cdf.png", "Latency CDF per strategy", Kind::Latency),
        chart(
            "cost-goodput.png",
            "Cost and goodput per strategy",
            Kind::CostGoodput,
        ),
        chart(
            "errors.png",
            "429s by dimension and 529s per minute",
            Kind::Errors,
        ),
    ];
    for (i, p) in report.pools.iter().enumerate() {
        if p.models.is_empty() {
            continue;
        }
        let mut utils = vec![Util::Rpm, Util::Itpm, Util::Otpm];
        if p.tpm.is_some() {
            utils.push(Util::Tpm);
        }
        if p.max_concurrent.is_some() {
            utils.push(Util::Concurrency);
        }
        for util in utils {
            charts.push(Chart {
                file: format!("utilisation-{}-{}.png", slug(&p.name), util.slug()),
                title: format!("{} utilisation, pool {}", util.name(), p.name),
                kind: Kind::Utilisation { pool: i, util },
            });
        }
    }
    charts.push(chart("queue-depth.png", "Client queue depth", Kind::Queue));
    charts
}

/// Draws every chart of [`planned`] into `dir` (which must exist) and
/// returns them. `runs` follows `report.results`.
pub fn render(dir: &Path, report: &Report, runs: &[ChartRun<'_>]) -> Result<Vec<Chart>, String> {
    if runs.len() != report.results.len() {
        return Err(format!(
            "charts: {} runs for {} strategies",
            runs.len(),
            report.results.len()
        ));
    }
    let ctx = Ctx::new(report, runs);
    let charts = planned(report);
    for c in &charts {
        save(&dir.join(&c.file), |root| match c.kind {
            Kind::Latency => ctx.latency(root, &c.title),
            Kind::CostGoodput => ctx.cost_goodput(root, &c.title),
            Kind::Errors => ctx.errors(root, &c.title),
            Kind::Utilisation { pool, util } => ctx.utilisation(root, &c.title, pool, util),
            Kind::Queue => ctx.queue(root, &c.title),
        })?;
    }
    Ok(charts)
}

struct Ctx<'a> {
    report: &'a Report,
    runs: &'a [ChartRun<'a>],
    names: Vec<&'a str>,
    subtitle: String,
    axis: TimeAxis,
    /// End of the simulated time, seconds.
    span_s: f64,
    /// Bucket width, whole seconds.
    width_s: u64,
}

/// Margin and label areas of a full-width chart.
const MARGIN: u32 = 24;
const X_LABELS: u32 = 56;
const Y_LABELS: u32 = 96;

impl<'a> Ctx<'a> {
    fn new(report: &'a Report, runs: &'a [ChartRun<'a>]) -> Ctx<'a> {
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
    fn per_minute(&self, series: &Series, value: impl Fn(usize) -> u64) -> Vec<(f64, f64)> {
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
    fn per_minute_steps(&self, series: &Series, value: impl Fn(usize) -> u64) -> Vec<(f64, f64)> {
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
    fn levels(&self, series: &Series, value: impl Fn(usize) -> u64) -> Vec<(f64, f64)> {
        let w = self.width_s as f64;
        (0..series.len())
            .map(|i| (i as f64 * w + w / 2.0, value(i) as f64))
            .filter(|(t, _)| *t <= self.span_s)
            .map(|(t, v)| (self.x(t), v))
            .collect()
    }

    fn x(&self, seconds: f64) -> f64 {
        seconds / self.axis.divisor
    }

    fn x_max(&self) -> f64 {
        self.x(self.span_s)
    }

    /// A time chart with one line per strategy.
    fn time_chart(
        &self,
        root: &Area<'_>,
        title: &str,
        keys: &[(String, Key)],
        y_desc: &str,
        lines: &[Vec<(f64, f64)>],
        empty_note: &str,
    ) -> DrawResult {
        let area = header(root, title, &self.subtitle)?;
        let area = legend(&area, keys)?;
        // Counts: whole-number ticks, and a visible scale when all are zero.
        let data_max = max_y(lines.iter().flatten());
        let y_max = nice_max((data_max * 1.08).max(5.0));
        let y_labels = if y_max <= 10.0 {
            y_max as usize + 1
        } else {
            10
        };
        let mut chart = ChartBuilder::on(&area)
            .margin(MARGIN)
            .margin_top(8)
            .x_label_area_size(X_LABELS)
            .y_label_area_size(Y_LABELS)
            .build_cartesian_2d(0.0..self.x_max(), 0.0..y_max)?;
        let y_fmt = |v: &f64| number(*v, 2);
        let x_fmt = |v: &f64| number(*v, 1);
        chart
            .configure_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(LIGHT)
            .axis_desc_style(font(18))
            .label_style(font(15))
            .x_desc(self.axis.desc())
            .y_desc(y_desc)
            .x_labels(14)
            .y_labels(y_labels)
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&y_fmt)
            .draw()?;
        for (i, points) in lines.iter().enumerate() {
            chart.draw_series(LineSeries::new(
                points.iter().copied(),
                color(i).stroke_width(2),
            ))?;
        }
        if data_max == 0.0 {
            chart.draw_series([Text::new(
                empty_note.to_string(),
                (self.x_max() / 2.0, y_max / 2.0),
                font(20)
                    .color(&GREY)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )])?;
        }
        Ok(())
    }

    /// Small multiples: one time panel per strategy on a shared y scale,
    /// captioned, each drawn by `draw`.
    fn grid<'b>(
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

    fn utilisation(&self, root: &Area<'_>, title: &str, pool: usize, util: Util) -> DrawResult {
        let p = &self.report.pools[pool];
        let lines: Vec<Vec<(f64, f64)>> = self
            .runs
            .iter()
            .map(|r| {
                let s = r.series;
                match util {
                    Util::Rpm => self.per_minute(s, |i| s.pool(i, pool).requests),
                    Util::Itpm => self.per_minute(s, |i| s.pool(i, pool).input_tokens),
                    Util::Otpm => self.per_minute(s, |i| s.pool(i, pool).output_tokens),
                    Util::Tpm => self.per_minute(s, |i| {
                        s.pool(i, pool).input_tokens + s.pool(i, pool).output_tokens
                    }),
                    Util::Concurrency => self.levels(s, |i| s.pool(i, pool).in_flight_peak),
                }
            })
            .collect();
        let window = if self.width_s <= 60 {
            "over the trailing 60 s".to_string()
        } else {
            format!("averaged per {}", duration_words(self.width_s))
        };
        let what = match util {
            Util::Rpm => format!("requests admitted per minute, {window}"),
            Util::Itpm => {
                format!("input tokens per minute as ITPM counts them, {window}")
            }
            Util::Otpm => format!("output tokens per minute (counted at admission), {window}"),
            Util::Tpm => format!("input + output tokens per minute, {window}"),
            Util::Concurrency => format!(
                "requests in flight at the server, peak per {}",
                duration_words(self.width_s)
            ),
        };
        let limit = util.limit(p).map(|l| l as f64);
        let mut keys = vec![(what, Key::Line(USE))];
        if let Some(l) = limit {
            keys.push((
                match (util, self.report.limiter.algorithm) {
                    (Util::Concurrency, _) => format!("limit: {} {}", number(l, 0), util.unit()),
                    (_, "token_bucket") => format!(
                        "limit: {} {} (a full bucket of {} s lets up to {}× through in 60 s)",
                        number(l, 0),
                        util.unit(),
                        number(self.report.limiter.burst_s, 1),
                        number(1.0 + self.report.limiter.burst_s / 60.0, 2)
                    ),
                    _ => format!("limit: {} {}", number(l, 0), util.unit()),
                },
                Key::Dashed(BLACK),
            ));
        }
        let captions: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(k, points)| {
                let peak = max_y(points.iter());
                match limit {
                    Some(l) if l > 0.0 => format!(
                        "{}: peak {} ({} % of limit)",
                        self.names[k],
                        number(peak, 0),
                        number(peak / l * 100.0, 0)
                    ),
                    _ => format!("{}: peak {}", self.names[k], number(peak, 0)),
                }
            })
            .collect();
        let y_max = nice_max(max_y(lines.iter().flatten()).max(limit.unwrap_or(0.0)) * 1.08);
        let area = header(root, title, &self.subtitle)?;
        let area = legend(&area, &keys)?;
        let x_max = self.x_max();
        self.grid(&area, y_max, util.unit(), &captions, |k, chart| {
            chart.draw_series(LineSeries::new(
                lines[k].iter().copied(),
                USE.stroke_width(1),
            ))?;
            if let Some(l) = limit {
                chart.draw_series(DashedLineSeries::new(
                    [(0.0, l), (x_max, l)],
                    8,
                    5,
                    BLACK.stroke_width(2),
                ))?;
            }
            Ok(())
        })
    }

    fn queue(&self, root: &Area<'_>, title: &str) -> DrawResult {
        let lines: Vec<Vec<(f64, f64)>> = self
            .runs
            .iter()
            .map(|r| self.levels(r.series, |i| r.series.queue_peak(i)))
            .collect();
        let keys: Vec<(String, Key)> = self
            .names
            .iter()
            .zip(&lines)
            .enumerate()
            .map(|(i, (n, points))| {
                let peak = max_y(points.iter());
                (
                    format!("{n} (peak {})", number(peak, 0)),
                    Key::Line(color(i)),
                )
            })
            .collect();
        let y_desc = format!(
            "requests waiting in the client (peak per {})",
            duration_words(self.width_s)
        );
        self.time_chart(
            root,
            title,
            &keys,
            &y_desc,
            &lines,
            "no request waited in a client queue",
        )
    }

    fn errors(&self, root: &Area<'_>, title: &str) -> DrawResult {
        // What fired anywhere: each 429 dimension, then 529.
        let pools = self.report.pools.len();
        let total = |r: &ChartRun<'_>, what: Option<Dimension>| -> u64 {
            r.series
                .totals()
                .iter()
                .map(|t| match what {
                    Some(d) => t.rate_limited[d.index()],
                    None => t.overloaded,
                })
                .sum()
        };
        let mut shown: Vec<Option<Dimension>> = Dimension::ALL
            .iter()
            .copied()
            .map(Some)
            .chain([None])
            .filter(|&w| self.runs.iter().any(|r| total(r, w) > 0))
            .collect();
        if shown.is_empty() {
            // Nothing fired: still show the two kinds, flat at zero.
            shown = vec![Some(Dimension::Rpm), None];
        }
        let label = |w: Option<Dimension>| match w {
            Some(d) => format!("429 {}", d.name()),
            None => "529 overloaded".to_string(),
        };
        let keys: Vec<(String, Key)> = shown
            .iter()
            .map(|&w| (label(w), Key::Line(error_color(w))))
            .collect();
        // Per strategy, per shown kind: the step line.
        let lines: Vec<Vec<Vec<(f64, f64)>>> = self
            .runs
            .iter()
            .map(|r| {
                let s = r.series;
                shown
                    .iter()
                    .map(|&w| {
                        self.per_minute_steps(s, |i| {
                            (0..pools)
                                .map(|p| {
                                    let b = s.pool(i, p);
                                    match w {
                                        Some(d) => b.rate_limited[d.index()],
                                        None => b.overloaded,
                                    }
                                })
                                .sum()
                        })
                    })
                    .collect()
            })
            .collect();
        let y_max = nice_max(max_y(lines.iter().flatten().flatten()) * 1.08);
        let captions: Vec<String> = self
            .runs
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let n429: u64 = Dimension::ALL.iter().map(|&d| total(r, Some(d))).sum();
                format!(
                    "{}: {} × 429, {} × 529",
                    self.names[k],
                    number(n429 as f64, 0),
                    number(total(r, None) as f64, 0)
                )
            })
            .collect();
        let y_desc = if self.width_s <= 60 {
            "responses per minute".to_string()
        } else {
            format!("per min (avg per {})", duration_words(self.width_s))
        };
        let area = header(root, title, &self.subtitle)?;
        let area = legend(&area, &keys)?;
        self.grid(&area, y_max, &y_desc, &captions, |k, chart| {
            // 529s first, so the 429 lines stay visible where both are zero.
            for (j, &w) in shown.iter().enumerate().rev() {
                let c = error_color(w);
                chart.draw_series(LineSeries::new(
                    lines[k][j].iter().copied(),
                    c.stroke_width(2),
                ))?;
                // Counts too small to see as a line get a dot.
                chart.draw_series(
                    lines[k][j]
                        .chunks(2)
                        .filter(|p| p[0].1 > 0.0 && p[0].1 < y_max * 0.015)
                        .map(|p| {
                            Circle::new(((p[0].0 + p[p.len() - 1].0) / 2.0, p[0].1), 4, c.filled())
                        }),
                )?;
            }
            Ok(())
        })
    }

    fn latency(&self, root: &Area<'_>, title: &str) -> DrawResult {
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

    fn cost_goodput(&self, root: &Area<'_>, title: &str) -> DrawResult {
        let cost_color = RGBColor(31, 119, 180);
        let goodput_color = RGBColor(44, 160, 44);
        let keys = vec![
            (
                "cost, USD at list price (left)".to_string(),
                Key::Box(cost_color),
            ),
            (
                "goodput, successful requests per minute (right)".to_string(),
                Key::Box(goodput_color),
            ),
        ];
        let area = header(root, title, &self.subtitle)?;
        let area = legend(&area, &keys)?;
        let (w, _) = area.dim_in_pixel();
        let (left, right) = area.split_horizontally(w / 2);
        let cost: Vec<f64> = self
            .report
            .results
            .iter()
            .map(|r| r.total.cost_usd)
            .collect();
        let goodput: Vec<f64> = self
            .report
            .results
            .iter()
            .map(|r| r.total.goodput_per_min)
            .collect();
        self.bars(root, &left, "cost (USD)", &cost, cost_color, |v| {
            let decimals = if v >= 100.0 {
                0
            } else if v >= 1.0 {
                2
            } else {
                4
            };
            format!("${v:.decimals$}")
        })?;
        self.bars(
            root,
            &right,
            "goodput (successes per minute)",
            &goodput,
            goodput_color,
            |v| format!("{v:.2}"),
        )?;
        Ok(())
    }

    /// Horizontal bars, one per strategy (first on top), named on the left.
    fn bars(
        &self,
        root: &Area<'_>,
        area: &Area<'_>,
        x_desc: &str,
        values: &[f64],
        c: RGBColor,
        label: impl Fn(f64) -> String,
    ) -> DrawResult {
        let n = values.len().max(1) as f64;
        let name_style = font(15);
        let name_w = self
            .names
            .iter()
            .map(|s| root.estimate_text_size(s, &name_style).map(|(w, _)| w))
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .max()
            .unwrap_or(0);
        let max = values.iter().copied().fold(0.0_f64, f64::max);
        let x_max = nice_max(if max > 0.0 { max * 1.3 } else { 1.0 });
        let mut chart = ChartBuilder::on(area)
            .margin(MARGIN)
            .margin_top(8)
            .x_label_area_size(X_LABELS)
            .y_label_area_size(name_w + 20)
            .build_cartesian_2d(0.0..x_max, 0.0..n)?;
        let x_fmt = |v: &f64| number(*v, 4);
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .bold_line_style(LIGHT)
            .axis_desc_style(font(18))
            .label_style(font(15))
            .x_desc(x_desc)
            .x_labels(6)
            .y_labels(0)
            .x_label_formatter(&x_fmt)
            .draw()?;
        for (i, &v) in values.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            chart.draw_series([Rectangle::new([(0.0, y + 0.2), (v, y + 0.8)], c.filled())])?;
            chart.draw_series([EmptyElement::at((v, y + 0.5))
                + Text::new(
                    label(v),
                    (8, 0),
                    font(15).pos(Pos::new(HPos::Left, VPos::Center)),
                )])?;
            let (px, py) = chart.backend_coord(&(0.0, y + 0.5));
            root.draw(&Text::new(
                self.names[i].to_string(),
                (px - 10, py),
                name_style.pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
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
type Chart2d<'a, 'b> =
    ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Colour of the utilisation lines.
const USE: RGBColor = RGBColor(31, 119, 180);

/// Colour of a kind of error: a 429 dimension, or `None` for 529.
fn error_color(w: Option<Dimension>) -> RGBColor {
    match w {
        Some(Dimension::Rpm) => RGBColor(31, 119, 180),
        Some(Dimension::Itpm) => RGBColor(255, 127, 14),
        Some(Dimension::Otpm) => RGBColor(44, 160, 44),
        Some(Dimension::Tpm) => RGBColor(148, 103, 189),
        Some(Dimension::Concurrency) => RGBColor(140, 86, 75),
        Some(Dimension::Acceleration) => RGBColor(227, 119, 194),
        None => RGBColor(214, 39, 40),
    }
}

/// The largest y of some points (0 when there are none).
fn max_y<'p>(points: impl Iterator<Item = &'p (f64, f64)>) -> f64 {
    points.map(|p| p.1).fold(0.0_f64, f64::max)
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

/// A round axis maximum at or above `v`: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8
/// times a power of ten.
fn nice_max(v: f64) -> f64 {
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

    #[test]
    fn log_axis_ends() {
        assert_eq!(step_125(640.0, false), 500.0);
        assert_eq!(step_125(150_000.0, true), 200_000.0);
        assert_eq!(step_125(1_000.0, false), 1_000.0);
        assert_eq!(step_125(1_000.0, true), 1_000.0);
        assert_eq!(step_125(1_900.0, false), 1_000.0);
    }

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("sonnet-4"), "sonnet-4");
        assert_eq!(slug("Opus 4.x"), "opus-4-x");
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
