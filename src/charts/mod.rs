//! PNG charts, drawn with `plotters` on its pure-Rust bitmap backend with the
//! DejaVu Sans font bundled in the binary: no system libraries, and the same
//! bytes on every run and every machine.
//!
//! This module holds what every chart shares (size, font, palette, header,
//! legend, number formatting); [`simulate`] draws the charts of a `simulate`
//! report.

mod context;
mod latency;
mod outcomes;
pub mod plan;
mod queue;
pub mod simulate;
pub mod sweep;
mod utilisation;

use std::error::Error;
use std::path::Path;
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
pub type DrawResult<T = ()> = Result<T, Box<dyn Error>>;

/// Registers DejaVu Sans (regular and bold) as "sans-serif". Drawing text
/// fails with `FontUnavailable` without it; calling it again does nothing
/// and returns the first call's outcome.
pub fn register_fonts() -> Result<(), String> {
    static DONE: OnceLock<Result<(), String>> = OnceLock::new();
    DONE.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular())
            .map_err(|_| "the bundled DejaVu Sans is not a usable font".to_string())?;
        register_font(FONT, FontStyle::Bold, dejavu::sans::bold())
            .map_err(|_| "the bundled DejaVu Sans Bold is not a usable font".to_string())
    })
    .clone()
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

/// Draws a chart into the PNG at `path` (white background, [`WIDTH`] ×
/// [`HEIGHT`]). The file is written only if drawing succeeded.
pub fn save(path: &Path, draw: impl FnOnce(&Area<'_>) -> DrawResult) -> Result<(), String> {
    register_fonts().map_err(|e| format!("cannot draw {}: {e}", path.display()))?;
    let wrap = |e: Box<dyn Error>| format!("cannot draw {}: {e}", path.display());
    let mut rgb = vec![0u8; WIDTH as usize * HEIGHT as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| wrap(e.into()))?;
        draw(&root).map_err(wrap)?;
        root.present().map_err(|e| wrap(e.into()))?;
    }
    encode_png(path, &rgb).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes 8-bit RGB pixels as a PNG (the `png` crate directly: plotters'
/// own encoder would pull in the whole `image` crate).
fn encode_png(path: &Path, rgb: &[u8]) -> Result<(), Box<dyn Error>> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = png::Encoder::new(file, WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // Charts are mostly flat colour: adaptive filtering makes the files a
    // third of the size for ~10 ms a chart.
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    encoder.set_compression(png::Compression::Default);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(())
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
