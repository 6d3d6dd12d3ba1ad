//! The utilisation charts of a `simulate` report: one per limit of each
//! pool, a panel per strategy, the limit dashed.

use plotters::prelude::*;

use super::context::{Ctx, max_y, nice_max};
use super::{Area, DrawResult, Key, duration_words, header, legend, number};
use crate::report::PoolReport;

/// A limit dimension charted against its limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Util {
    /// Requests per minute.
    Rpm,
    /// Input tokens per minute.
    Itpm,
    /// Output tokens per minute.
    Otpm,
    /// Tokens per minute.
    Tpm,
    /// Requests in flight.
    Concurrency,
}

impl Util {
    pub(super) fn slug(self) -> &'static str {
        match self {
            Util::Rpm => "rpm",
            Util::Itpm => "itpm",
            Util::Otpm => "otpm",
            Util::Tpm => "tpm",
            Util::Concurrency => "concurrency",
        }
    }

    pub(super) fn name(self) -> &'static str {
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

/// Colour of the utilisation lines.
const USE: RGBColor = RGBColor(31, 119, 180);

impl Ctx<'_> {
    pub(super) fn utilisation(
        &self,
        root: &Area<'_>,
        title: &str,
        pool: usize,
        util: Util,
    ) -> DrawResult {
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
}
