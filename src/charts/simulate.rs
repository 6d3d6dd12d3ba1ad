//! The charts of a `simulate` report: utilisation of each limit per pool,
//! 429s and 529s per minute, the latency CDF, cost and goodput, and the
//! client queue. [`planned`] names the files before anything is simulated
//! (so `--out` can refuse to overwrite them); [`render`] draws them. Each
//! chart is drawn in its own file beside this one.

use super::context::Ctx;
use super::utilisation::Util;
use super::{ChartError, Png, draw_png};
use crate::report::Report;

pub use super::context::ChartRun;

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

/// Draws every chart of [`planned`], in its order, and returns them as PNG.
/// `runs` follows `report.results`.
pub fn render(report: &Report, runs: &[ChartRun<'_>]) -> Result<Vec<Png>, ChartError> {
    if runs.len() != report.results.len() {
        return Err(ChartError::Runs {
            runs: runs.len(),
            strategies: report.results.len(),
        });
    }
    let ctx = Ctx::new(report, runs);
    planned(report)
        .into_iter()
        .map(|c| {
            let png = draw_png(&c.file, |root| match c.kind {
                Kind::Latency => ctx.latency(root, &c.title),
                Kind::CostGoodput => ctx.cost_goodput(root, &c.title),
                Kind::Errors => ctx.errors(root, &c.title),
                Kind::Utilisation { pool, util } => ctx.utilisation(root, &c.title, pool, util),
                Kind::Queue => ctx.queue(root, &c.title),
            })?;
            Ok(Png {
                file: c.file,
                title: c.title,
                png,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_safe() {
        assert_eq!(slug("sonnet-4"), "sonnet-4");
        assert_eq!(slug("Opus 4.x"), "opus-4-x");
    }
}
