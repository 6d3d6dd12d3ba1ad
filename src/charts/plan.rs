//! Charts of a capacity plan: utilisation of every limit over the months,
//! and p99 / 429s at current versus requested limits.

use plotters::prelude::*;

use super::{
    ChartError, DrawResult, Key, LIGHT, Png, color, draw_png, font, header, legend, number,
};
use crate::analysis::plan::{DIMS, Plan};

/// File names and alt texts of the plan charts.
pub const CHARTS: [(&str, &str); 2] = [
    (
        "demand-vs-limits.png",
        "Peak-minute demand as a share of each limit, month by month",
    ),
    (
        "slo-current-vs-requested.png",
        "p99 latency and 429s at current versus requested limits",
    ),
];

/// Draws both charts, in the order of [`CHARTS`].
pub fn render(p: &Plan) -> Result<Vec<Png>, ChartError> {
    let draws: [fn(&super::Area<'_>, &Plan) -> DrawResult; 2] = [demand, slo];
    CHARTS
        .iter()
        .zip(draws)
        .map(|(&(file, title), draw)| {
            Ok(Png {
                file: file.to_string(),
                title: title.to_string(),
                png: draw_png(file, |root| draw(root, p))?,
            })
        })
        .collect()
}

fn demand(root: &super::Area<'_>, p: &Plan) -> DrawResult {
    let area = header(
        root,
        "Demand versus limits",
        &format!(
            "{}: simulated peak-minute demand ÷ current limit, +{:.1}%/month; dashed: 70 %, 80 %, 100 %",
            p.scenario,
            p.growth_per_month * 100.0
        ),
    )?;
    let mut series: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (i, (pool, _)) in p.current.iter().enumerate() {
        for (d, dim) in DIMS.iter().enumerate() {
            let pts: Vec<(f64, f64)> = p
                .projection
                .iter()
                .filter_map(|m| m.pools[i].utilisation[d].map(|u| (m.month as f64, u * 100.0)))
                .collect();
            if !pts.is_empty() {
                series.push((format!("{pool} {}", dim.to_uppercase()), pts));
            }
        }
    }
    let keys: Vec<(String, Key)> = series
        .iter()
        .enumerate()
        .map(|(i, (n, _))| (n.clone(), Key::Line(color(i))))
        .collect();
    let area = legend(&area, &keys)?;
    let y_max = series
        .iter()
        .flat_map(|(_, v)| v.iter().map(|q| q.1))
        .fold(110.0_f64, f64::max)
        * 1.08;
    let mut chart = ChartBuilder::on(&area)
        .margin(24)
        .x_label_area_size(56)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..(p.months.max(1) as f64), 0.0..y_max)?;
    chart
        .configure_mesh()
        .light_line_style(LIGHT)
        .x_desc("months from now")
        .y_desc("peak-minute demand, % of the current limit")
        .axis_desc_style(font(18))
        .label_style(font(15))
        .x_label_formatter(&|x| number(*x, 0))
        .y_label_formatter(&|y| format!("{}%", number(*y, 0)))
        .draw()?;
    for th in [70.0, 80.0, 100.0] {
        let style = if th == 100.0 {
            RED.stroke_width(2)
        } else {
            RGBColor(150, 150, 150).stroke_width(1)
        };
        let mut x = 0.0;
        let end = p.months.max(1) as f64;
        let dash = end / 60.0;
        while x < end {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, th), ((x + dash * 0.6).min(end), th)],
                style,
            )))?;
            x += dash;
        }
    }
    for (i, (_, pts)) in series.iter().enumerate() {
        chart.draw_series(LineSeries::new(pts.clone(), color(i).stroke_width(3)))?;
        chart.draw_series(pts.iter().map(|q| Circle::new(*q, 4, color(i).filled())))?;
    }
    Ok(())
}

fn slo(root: &super::Area<'_>, p: &Plan) -> DrawResult {
    let area = header(
        root,
        "Current versus requested limits",
        &format!(
            "{}: simulated p99 latency and share of attempts rate-limited at the target months (SLO: p99 ≤ {} ms, 429s ≤ {:.1}%)",
            p.scenario,
            number(p.slo.p99_ms, 0),
            p.slo.rate_429 * 100.0
        ),
    )?;
    let area = legend(
        &area,
        &[
            ("current limits".to_string(), Key::Box(color(1))),
            ("requested limits".to_string(), Key::Box(color(2))),
        ],
    )?;
    let (left, right) = area.split_horizontally(area.dim_in_pixel().0 / 2);
    let n = p.targets.len();
    let panel = |a: &super::Area<'_>,
                 title: &str,
                 values: Vec<(f64, f64)>,
                 limit: f64,
                 fmt: &dyn Fn(f64) -> String|
     -> DrawResult {
        let y_max = values
            .iter()
            .map(|v| v.0.max(v.1))
            .fold(limit, f64::max)
            .max(1e-9)
            * 1.15;
        let mut chart = ChartBuilder::on(a)
            .margin(24)
            .caption(title, font(18))
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(0.0..(n as f64), 0.0..y_max)?;
        let months: Vec<u32> = p.targets.iter().map(|t| t.month).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .light_line_style(LIGHT)
            .x_labels(0)
            .label_style(font(15))
            .y_label_formatter(&|y| fmt(*y))
            .draw()?;
        for (i, (cur, req)) in values.iter().enumerate() {
            let x = i as f64;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x + 0.12, 0.0), (x + 0.48, *cur)],
                color(1).filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x + 0.52, 0.0), (x + 0.88, *req)],
                color(2).filled(),
            )))?;
            let (cx, cy) = chart.backend_coord(&(x + 0.5, 0.0));
            root.draw(&Text::new(
                format!("month {}", months[i]),
                (cx, cy + 10),
                font(15).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Top,
                )),
            ))?;
        }
        // The SLO line.
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, limit), (n as f64, limit)],
            RED.stroke_width(2),
        )))?;
        Ok(())
    };
    panel(
        &left,
        "p99 latency (ms); red: SLO",
        p.targets
            .iter()
            .map(|t| {
                (
                    t.at_current.p99_ms.unwrap_or(0.0),
                    t.at_requested.p99_ms.unwrap_or(0.0),
                )
            })
            .collect(),
        p.slo.p99_ms,
        &|y| number(y, 0),
    )?;
    panel(
        &right,
        "429s, % of attempts; red: SLO",
        p.targets
            .iter()
            .map(|t| {
                (
                    t.at_current.rate_429 * 100.0,
                    t.at_requested.rate_429 * 100.0,
                )
            })
            .collect(),
        p.slo.rate_429 * 100.0,
        &|y| format!("{}%", number(y, 1)),
    )?;
    Ok(())
}
