//! PNG charts, drawn with `plotters` on its pure-Rust bitmap backend with the
//! DejaVu Sans font bundled in the binary: no system libraries, and the same
//! bytes on every run and every machine.
//!
//! Charts are returned as encoded PNG bytes ([`Png`]); writing them to files
//! is the CLI's job.
//!
//! This module holds what every chart shares (size, font, palette, header,
//! legend, number formatting, errors); [`simulate`] draws the charts of a
//! `simulate` report, [`plan`] those of a capacity plan, [`sweep`] that of a
//! sweep.

mod context;
mod latency;
mod outcomes;
pub mod plan;
mod queue;
pub mod simulate;
pub mod sweep;
mod utilisation;

use std::error::Error;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub use simulate::{Chart, ChartRun, planned, render};

/// Width of every chart, pixels.
pub const WIDTH: u32 = 1200;
/// Height of every chart, pixels.
pub const HEIGHT: u32 = 700;
/// The font family charts ask for (registered from the bundled DejaVu Sans).
pub const FONT: &str = "sans-serif";

/// A drawing area on a PNG being drawn.
pub type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// What drawing functions return.
pub type DrawResult<T = ()> = Result<T, Box<dyn Error + Send + Sync>>;

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChartError {
    /// A bundled font could not be registered (it names the font).
    #[error("cannot draw charts: the bundled {0} is not a usable font")]
    Font(&'static str),
    /// Drawing a chart failed.
    #[error("cannot draw {chart}: {source}")]
    Draw {
        /// The chart (its file name).
        chart: String,
        /// Why.
        source: Box<dyn Error + Send + Sync>,
    },
    /// Encoding a drawn chart as PNG failed.
    #[error("cannot encode {chart} as PNG: {source}")]
    Encode {
        /// The chart (its file name).
        chart: String,
        /// Why.
        source: png::EncodingError,
    },
    /// The measurements handed in do not match the report's strategies.
    #[error("charts: {runs} runs for {strategies} strategies")]
    Runs {
        /// Runs handed in.
        runs: usize,
        /// Strategies in the report.
        strategies: usize,
    },
}

/// A drawn chart: the file name it is meant for, its title (the image's
/// alt text in a Markdown report) and its encoded PNG bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Png {
    /// File name inside the output directory.
    pub file: String,
    /// Title, also the image's alt text.
    pub title: String,
    /// The encoded PNG.
    pub png: Vec<u8>,
}

/// Registers DejaVu Sans (regular and bold) as "sans-serif". Drawing text
/// fails with `FontUnavailable` without it; calling it again does nothing
/// and returns the first call's outcome.
pub fn register_fonts() -> Result<(), ChartError> {
    static DONE: OnceLock<Result<(), &'static str>> = OnceLock::new();
    let done = DONE.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "DejaVu Sans")?;
        register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).map_err(|_| "DejaVu Sans Bold")
    });
    done.map_err(ChartError::Font)
}

/// Colours for series (d3's category10), used in order and cycled.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The `i`th series colour.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Secondary text.
pub const GREY: RGBColor = RGBColor(90, 90, 90);
/// Grid lines.
pub const LIGHT: RGBColor = RGBColor(230, 230, 230);

/// Regular text of `size` pixels.
pub fn font(size: u32) -> TextStyle<'static> {
    (FONT, size).into_font().color(&BLACK)
}

/// Bold text of `size` pixels.
pub fn bold(size: u32) -> TextStyle<'static> {
    (FONT, size, FontStyle::Bold).into_font().color(&BLACK)
}

/// Draws a chart (white background, [`WIDTH`] × [`HEIGHT`]) into memory
/// and returns it encoded as PNG; `chart` names it in errors.
pub fn draw_png(
    chart: &str,
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<Vec<u8>, ChartError> {
    register_fonts()?;
    let wrap = |source: Box<dyn Error + Send + Sync>| ChartError::Draw {
        chart: chart.to_string(),
        source,
    };
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| wrap(e.into()))?;
        draw(&root).map_err(wrap)?;
        root.present().map_err(|e| wrap(e.into()))?;
    }
    encode_png(&rgb).map_err(|source| ChartError::Encode {
        chart: chart.to_string(),
        source,
    })
}

/// Encodes 8-bit RGB pixels as a PNG (the `png` crate directly: plotters'
/// own encoder would pull in the whole `image` crate).
fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Charts are mostly flat colour: adaptive filtering makes the files a
    // third of the size for ~10 ms a chart.
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// Draws a bold title and a grey subtitle; returns the area below them.
pub fn header<'a>(root: &Area<'a>, title: &str, subtitle: &str) -> DrawResult<Area<'a>> {
    let (top, rest) = root.split_vertically(76);
    top.draw(&Text::new(title.to_string(), (28, 14), bold(26)))?;
    top.draw(&Text::new(
        subtitle.to_string(),
        (28, 48),
        font(16).color(&GREY),
    ))?;
    Ok(rest)
}

/// How a legend entry is drawn.
#[derive(Clone, Copy, Debug)]
pub enum Key {
    /// A solid line.
    Line(RGBColor),
    /// A dashed line.
    Dashed(RGBColor),
    /// A filled circle.
    Circle(RGBColor),
    /// A filled triangle.
    Triangle(RGBColor),
    /// A filled box.
    Box(RGBColor),
}

const LEGEND_ROW: i32 = 26;
const LEGEND_SYMBOL: i32 = 30;
const LEGEND_GAP: i32 = 28;

/// Draws a legend as centred rows across the top of `area` (wrapping when
/// the entries do not fit one row); returns the area below it.
pub fn legend<'a>(area: &Area<'a>, entries: &[(String, Key)]) -> DrawResult<Area<'a>> {
    let style = font(16);
    let (w, _) = area.dim_in_pixel();
    let usable = w as i32 - 60;
    let widths: Vec<i32> = entries
        .iter()
        .map(|(label, _)| {
            let (tw, _) = area.estimate_text_size(label, &style)?;
            Ok(LEGEND_SYMBOL + 8 + tw as i32)
        })
        .collect::<DrawResult<_>>()?;
    let rows = rows_within(&widths, usable);
    // Balance the rows: the narrowest width that needs no more rows.
    let rows = if rows.len() > 1 {
        let total = widths.iter().sum::<i32>() + LEGEND_GAP * (widths.len() as i32 - 1);
        let mut limit = total / rows.len() as i32;
        loop {
            let r = rows_within(&widths, limit);
            if r.len() <= rows.len() {
                break r;
            }
            limit += 8;
        }
    } else {
        rows
    };
    let height = rows.len() as i32 * LEGEND_ROW + 10;
    let (top, rest) = area.split_vertically(height);
    for (r, row) in rows.iter().enumerate() {
        let total: i32 =
            row.iter().map(|&i| widths[i]).sum::<i32>() + LEGEND_GAP * (row.len() as i32 - 1);
        let mut x = (w as i32 - total) / 2;
        let y = r as i32 * LEGEND_ROW + LEGEND_ROW / 2 + 2;
        for &i in row {
            let (label, key) = &entries[i];
            draw_key(&top, *key, x, y)?;
            top.draw(&Text::new(
                label.clone(),
                (x + LEGEND_SYMBOL + 8, y),
                style.pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += widths[i] + LEGEND_GAP;
        }
    }
    Ok(rest)
}

/// Greedy rows of entries (by index) no wider than `limit`.
fn rows_within(widths: &[i32], limit: i32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut row: Vec<usize> = Vec::new();
    let mut used = 0;
    for (i, &ew) in widths.iter().enumerate() {
        let need = if row.is_empty() {
            ew
        } else {
            used + LEGEND_GAP + ew
        };
        if !row.is_empty() && need > limit {
            rows.push(std::mem::replace(&mut row, vec![i]));
            used = ew;
        } else {
            row.push(i);
            used = need;
        }
    }
    rows.push(row);
    rows
}

fn draw_key(area: &Area<'_>, key: Key, x: i32, y: i32) -> DrawResult {
    let mid = x + LEGEND_SYMBOL / 2;
    match key {
        Key::Line(c) => {
            area.draw(&PathElement::new(
                vec![(x, y), (x + LEGEND_SYMBOL, y)],
                c.stroke_width(3),
            ))?;
        }
        Key::Dashed(c) => {
            for k in 0..3 {
                let x0 = x + k * 11;
                area.draw(&PathElement::new(
                    vec![(x0, y), (x0 + 7, y)],
                    c.stroke_width(2),
                ))?;
            }
        }
        Key::Circle(c) => area.draw(&Circle::new((mid, y), 6, c.filled()))?,
        Key::Triangle(c) => area.draw(&TriangleMarker::new((mid, y), 8, c.filled()))?,
        Key::Box(c) => area.draw(&Rectangle::new(
            [(x + 6, y - 8), (x + LEGEND_SYMBOL - 6, y + 8)],
            c.filled(),
        ))?,
    }
    Ok(())
}

/// A number for an axis or a label: thousands separated, at most `decimals`
/// decimals, trailing zeros dropped ([`crate::export::num::trimmed`]).
pub fn number(v: f64, decimals: usize) -> String {
    crate::export::num::trimmed(v, decimals)
}

/// How a time axis is labelled: simulated seconds divided by `divisor`, in
/// `unit`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TimeAxis {
    /// Seconds per unit.
    pub divisor: f64,
    /// Unit name for the axis label.
    pub unit: &'static str,
}

impl TimeAxis {
    /// Minutes up to 5 h, hours up to 4 days, then days.
    pub fn for_span(span_s: f64) -> TimeAxis {
        if span_s <= 5.0 * 3600.0 {
            TimeAxis {
                divisor: 60.0,
                unit: "min",
            }
        } else if span_s <= 4.0 * 86_400.0 {
            TimeAxis {
                divisor: 3600.0,
                unit: "h",
            }
        } else {
            TimeAxis {
                divisor: 86_400.0,
                unit: "days",
            }
        }
    }

    /// The axis description.
    pub fn desc(&self) -> String {
        format!("simulated time ({})", self.unit)
    }
}

/// A duration in words: "1 s", "5 min", "1 h", "2 days".
pub fn duration_words(secs: u64) -> String {
    match secs {
        s if s % 86_400 == 0 && s >= 86_400 => match s / 86_400 {
            1 => "1 day".to_string(),
            d => format!("{d} days"),
        },
        s if s % 3600 == 0 && s >= 3600 => format!("{} h", s / 3600),
        s if s % 60 == 0 && s >= 60 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawn_chart_is_a_png_of_the_chart_size() {
        let png = draw_png("blank.png", |root| {
            header(root, "title", "subtitle")?;
            Ok(())
        })
        .unwrap();
        let decoder = png::Decoder::new(png.as_slice());
        let info = decoder.read_info().unwrap().info().clone();
        assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    }

    #[test]
    fn a_failed_drawing_names_the_chart() {
        let e = draw_png("queue-depth.png", |_| Err("no room for the legend".into())).unwrap_err();
        assert!(matches!(&e, ChartError::Draw { chart, .. } if chart == "queue-depth.png"));
        assert_eq!(
            e.to_string(),
            "cannot draw queue-depth.png: no room for the legend"
        );
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(number(30_000.0, 0), "30,000");
        assert_eq!(number(1_234_567.891, 2), "1,234,567.89");
        assert_eq!(number(0.5, 2), "0.5");
        assert_eq!(number(15.0, 2), "15");
        assert_eq!(number(-0.0001, 2), "0");
        assert_eq!(number(-1500.0, 0), "-1,500");
        assert_eq!(number(999.0, 0), "999");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(duration_words(1), "1 s");
        assert_eq!(duration_words(30), "30 s");
        assert_eq!(duration_words(300), "5 min");
        assert_eq!(duration_words(10_800), "3 h");
        assert_eq!(duration_words(86_400), "1 day");
        assert_eq!(duration_words(172_800), "2 days");
    }

    #[test]
    fn time_axis_units() {
        assert_eq!(TimeAxis::for_span(7_800.0).unit, "min");
        assert_eq!(TimeAxis::for_span(86_400.0).unit, "h");
        assert_eq!(TimeAxis::for_span(30.0 * 86_400.0).unit, "days");
    }
}
