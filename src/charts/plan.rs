//! Charts of a capacity plan, drawn for a reader at Anthropic: peak demand
//! against each limit month by month (one panel per dimension, log scale so
//! demand many times the limit stays readable), and SLO attainment, 429s
//! and failures at current versus requested limits.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    ChartError, DrawResult, Key, LIGHT, Png, color, draw_png, font, header, legend, number,
};
use crate::analysis::plan::{DIMS, Plan, Target};

/// File names and alt texts of the plan charts.
pub const CHARTS: [(&str, &str); 2] = [
    (
        "demand-vs-limits.png",
        "Peak-minute demand as a share of each current limit, month by month",
    ),
    (
        "slo-current-vs-requested.png",
        "SLO attainment, 429s and failed requests at current versus requested limits",
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

const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// An x label for month `m`: `Mar 27` for a dated plan, else the number.
fn month_label(p: &Plan, m: u32) -> String {
    let cal = p
        .projection
        .iter()
        .find(|x| x.month == m)
        .and_then(|x| x.calendar.as_deref());
    match cal.and_then(|c| c.split_once('-')) {
        Some((y, mo)) => match mo.parse::<usize>() {
            Ok(i @ 1..=12) => format!(
                "{} {}",
                SHORT_MONTHS[i - 1],
                &y[y.len().saturating_sub(2)..]
            ),
            _ => m.to_string(),
        },
        None => m.to_string(),
    }
}

fn source_line(p: &Plan) -> String {
    format!(
        "{}: {} at +{}%/month; limits as published {}",
        p.scenario,
        p.start
            .as_deref()
            .map_or("today's traffic".to_string(), |d| format!(
                "traffic from {d}"
            )),
        number(p.growth_per_month * 100.0, 1),
        p.catalogue_date
    )
}

fn demand(root: &super::Area<'_>, p: &Plan) -> DrawResult {
    let area = header(
        root,
        "Peak-minute demand as a share of today's limits",
        &format!(
            "{}. Log scale; dashed lines at 70 %, 80 % and 100 % of the limit",
            source_line(p)
        ),
    )?;
    let pools: Vec<&str> = p.current.iter().map(|(n, _)| n.as_str()).collect();
    let keys: Vec<(String, Key)> = pools
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("pool {n}"), Key::Line(color(i))))
        .collect();
    let area = legend(&area, &keys)?;
    let dims: Vec<usize> = (0..DIMS.len())
        .filter(|&d| {
            p.projection[0]
                .pools
                .iter()
                .any(|pm| pm.utilisation[d].is_some())
        })
        .collect();
    let panels = area.split_evenly((1, dims.len().max(1)));
    let names = [
        "requests per minute (RPM)",
        "input tokens per minute (ITPM)",
        "output tokens per minute (OTPM)",
    ];
    for (panel, &d) in panels.iter().zip(&dims) {
        let series: Vec<(usize, Vec<(f64, f64)>)> = (0..pools.len())
            .map(|i| {
                let pts = p
                    .projection
                    .iter()
                    .filter_map(|m| {
                        m.pools[i].utilisation[d].map(|u| (m.month as f64, (u * 100.0).max(0.1)))
                    })
                    .collect();
                (i, pts)
            })
            .collect();
        let values = series.iter().flat_map(|(_, v)| v.iter().map(|q| q.1));
        let (lo, hi) = values.fold((f64::MAX, 0.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let y_lo = (lo.min(50.0) / 1.5).max(0.1);
        let y_hi = (hi.max(120.0)) * 1.4;
        let end = p.months.max(1) as f64;
        let mut chart = ChartBuilder::on(panel)
            .margin(18)
            .caption(names[d], font(17))
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..end, (y_lo..y_hi).log_scale())?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_labels(7)
            .y_labels(0)
            .label_style(font(14))
            .x_label_formatter(&|x| month_label(p, x.round() as u32))
            .y_label_formatter(&|_| String::new())
            .draw()?;
        // Log-scale ticks a reader can name (plotters labels decades only).
        for v in [
            1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0,
        ] {
            if v < y_lo || v > y_hi {
                continue;
            }
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.0, v), (end, v)],
                LIGHT.stroke_width(1),
            )))?;
            let (px, py) = chart.backend_coord(&(0.0, v));
            root.draw(&Text::new(
                format!("{}%", number(v, 0)),
                (px - 6, py),
                font(14).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
        }
        for th in [70.0, 80.0, 100.0] {
            let style = if th == 100.0 {
                RED.stroke_width(2)
            } else {
                RGBColor(120, 120, 120).stroke_width(1)
            };
            let mut x = 0.0;
            let dash = end / 50.0;
            while x < end {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(x, th), ((x + dash * 0.6).min(end), th)],
                    style,
                )))?;
                x += dash;
            }
            let (px, py) = chart.backend_coord(&(end, th));
            root.draw(&Text::new(
                format!("{}%", th as u32),
                (px - 4, py - 3),
                font(13)
                    .color(&if th == 100.0 {
                        RED
                    } else {
                        RGBColor(90, 90, 90)
                    })
                    .pos(Pos::new(HPos::Right, VPos::Bottom)),
            ))?;
        }
        for (i, pts) in &series {
            if pts.is_empty() {
                continue;
            }
            chart.draw_series(LineSeries::new(pts.clone(), color(*i).stroke_width(3)))?;
            chart.draw_series(pts.iter().map(|q| Circle::new(*q, 3, color(*i).filled())))?;
        }
    }
    Ok(())
}

/// One bar pair per target month: current (left) and requested (right).
struct Panel<'a> {
    title: &'a str,
    values: Vec<(f64, f64)>,
    /// A red reference line (the SLO's attainment), if any.
    line: Option<f64>,
    fmt: &'a dyn Fn(f64) -> String,
    /// Fixed y range, or from the values.
    range: Option<(f64, f64)>,
}

fn bars(
    root: &super::Area<'_>,
    a: &super::Area<'_>,
    targets: &[&Target],
    p: &Plan,
    panel: Panel,
) -> DrawResult {
    let n = targets.len();
    let (y_lo, y_hi) = panel.range.unwrap_or_else(|| {
        let max = panel
            .values
            .iter()
            .map(|v| v.0.max(v.1))
            .fold(0.0f64, f64::max);
        (0.0, (max * 1.2).max(1.0))
    });
    let mut chart = ChartBuilder::on(a)
        .margin(22)
        .caption(panel.title, font(17))
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(0.0..(n as f64), y_lo..y_hi)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(LIGHT)
        .x_labels(0)
        .label_style(font(14))
        .y_label_formatter(&|y| (panel.fmt)(*y))
        .draw()?;
    for (i, (cur, req)) in panel.values.iter().enumerate() {
        let x = i as f64;
        for (v, x0, x1, c) in [(*cur, 0.12, 0.48, color(1)), (*req, 0.52, 0.88, color(2))] {
            let top = v.clamp(y_lo, y_hi);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x + x0, y_lo), (x + x1, top)],
                c.filled(),
            )))?;
            let (cx, cy) = chart.backend_coord(&(x + (x0 + x1) / 2.0, top));
            root.draw(&Text::new(
                (panel.fmt)(v),
                (cx, cy - 4),
                font(13).pos(Pos::new(HPos::Center, VPos::Bottom)),
            ))?;
        }
        let (cx, cy) = chart.backend_coord(&(x + 0.5, y_lo));
        let t = targets[i];
        let label = match t.calendar.as_deref() {
            Some(_) => format!("by {}", month_label(p, t.month)),
            None => format!("month {}", t.month),
        };
        root.draw(&Text::new(
            label,
            (cx, cy + 10),
            font(15).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    if let Some(l) = panel.line {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, l), (n as f64, l)],
            RED.stroke_width(2),
        )))?;
    }
    Ok(())
}

fn slo(root: &super::Area<'_>, p: &Plan) -> DrawResult {
    let area = header(
        root,
        "Our service level at current versus requested limits",
        &format!(
            "{}. Strategy {}; SLO attainment counts every request (a failure misses it)",
            source_line(p),
            p.strategy
        ),
    )?;
    let area = legend(
        &area,
        &[
            ("current limits".to_string(), Key::Box(color(1))),
            ("requested limits".to_string(), Key::Box(color(2))),
            (
                format!(
                    "SLO: {} of requests",
                    number(p.slo.attainment * 100.0, 2) + "%"
                ),
                Key::Line(RED),
            ),
        ],
    )?;
    let targets: Vec<&Target> = p.targets.iter().collect();
    let panels = area.split_evenly((1, 3));
    let att = |o: &crate::analysis::plan::Outcome| o.slo_attainment.unwrap_or(1.0) * 100.0;
    let lowest = targets
        .iter()
        .map(|t| att(&t.at_current).min(att(&t.at_requested)))
        .fold(p.slo.attainment * 100.0, f64::min);
    // Start the attainment axis low enough to show the worst bar, in tens.
    let floor = ((lowest - 5.0) / 10.0).floor().max(0.0) * 10.0;
    let pct_fmt = |y: f64| format!("{}%", number(y, if y.abs() < 10.0 { 1 } else { 0 }));
    bars(
        root,
        &panels[0],
        &targets,
        p,
        Panel {
            title: "SLO attainment, % of requests",
            values: targets
                .iter()
                .map(|t| (att(&t.at_current), att(&t.at_requested)))
                .collect(),
            line: Some(p.slo.attainment * 100.0),
            fmt: &|y| format!("{}%", number(y, 1)),
            range: Some((floor, 100.5)),
        },
    )?;
    bars(
        root,
        &panels[1],
        &targets,
        p,
        Panel {
            title: "429s, % of attempts",
            values: targets
                .iter()
                .map(|t| {
                    (
                        t.at_current.rate_429 * 100.0,
                        t.at_requested.rate_429 * 100.0,
                    )
                })
                .collect(),
            line: p.slo.max_429_share.map(|m| m * 100.0),
            fmt: &pct_fmt,
            range: None,
        },
    )?;
    bars(
        root,
        &panels[2],
        &targets,
        p,
        Panel {
            title: "failed requests (count)",
            values: targets
                .iter()
                .map(|t| (t.at_current.failed as f64, t.at_requested.failed as f64))
                .collect(),
            line: None,
            fmt: &|y| number(y, 0),
            range: None,
        },
    )?;
    Ok(())
}
