//! The outcome charts of a `simulate` report: 429s by dimension and 529s
//! per minute, and cost and goodput per strategy.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::context::{ChartRun, Ctx, MARGIN, X_LABELS, max_y, nice_max};
use super::{Area, DrawResult, Key, LIGHT, duration_words, font, header, legend, number};
use crate::model::Dimension;

impl Ctx<'_> {
    pub(super) fn errors(&self, root: &Area<'_>, title: &str) -> DrawResult {
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

    pub(super) fn cost_goodput(&self, root: &Area<'_>, title: &str) -> DrawResult {
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
    pub(super) fn bars(
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

/// Colour of a kind of error: a 429 dimension, or `None` for 529.
fn error_color(w: Option<Dimension>) -> RGBColor {
    match w {
        Some(Dimension::Rpm) => RGBColor(31, 119, 180),
        Some(Dimension::Itpm) => RGBColor(255, 127, 14),
        Some(Dimension::Otpm) => RGBColor(44, 160, 44),
        Some(Dimension::Tpm) => RGBColor(148, 103, 189),
        Some(Dimension::Concurrency) => RGBColor(140, 86, 75),
        Some(Dimension::Acceleration) => RGBColor(227, 119, 194),
        Some(Dimension::Spend) => RGBColor(127, 127, 127),
        None => RGBColor(214, 39, 40),
    }
}
