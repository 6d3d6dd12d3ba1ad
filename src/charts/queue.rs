//! The client queue chart of a `simulate` report: requests waiting in each
//! strategy's client over time.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::context::{Ctx, MARGIN, X_LABELS, Y_LABELS, max_y, nice_max};
use super::{
    Area, DrawResult, GREY, Key, LIGHT, color, duration_words, font, header, legend, number,
};

impl Ctx<'_> {
    /// A time chart with one line per strategy.
    pub(super) fn time_chart(
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

    pub(super) fn queue(&self, root: &Area<'_>, title: &str) -> DrawResult {
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
}
