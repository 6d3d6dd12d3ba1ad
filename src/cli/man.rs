//! `ratesim man`: roff man pages generated from the clap definition, so the
//! page always lists the flags the binary accepts.

use std::path::PathBuf;

use super::output::{prepare_dir, write_text};
use super::{CliError, print};

/// Arguments of `ratesim man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim man > ~/.local/share/man/man1/ratesim.1 && man ratesim
  ratesim man --out ~/.local/share/man/man1     # ratesim.1 and one page per subcommand
  ratesim man | man -l -")]
pub struct ManArgs {
    /// Write ratesim.1 and ratesim-SUBCOMMAND.1 for every subcommand into
    /// this directory instead of printing ratesim.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace existing pages in --out.
    #[arg(long)]
    pub force: bool,
}

/// Prints `ratesim.1`, or writes every page into `--out`.
pub fn run(args: &ManArgs) -> Result<(), CliError> {
    let pages = pages();
    match &args.out {
        None => print(&pages[0].1),
        Some(dir) => {
            let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
            let files = prepare_dir(dir, &names, args.force)?;
            for (file, (_, text)) in files.iter().zip(&pages) {
                write_text(file, text)?;
            }
            eprintln!("wrote {} man pages into {}", files.len(), dir.display());
        }
    }
    Ok(())
}

/// `(file name, roff text)`: `ratesim.1` first, then `ratesim-NAME.1` per
/// subcommand, in the order `--help` lists them.
fn pages() -> Vec<(String, String)> {
    let mut cmd = super::command();
    cmd.build();
    let mut pages = vec![("ratesim.1".to_string(), render(cmd.clone()))];
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("ratesim-{}", sub.get_name());
        let page = sub
            .clone()
            .name(name.clone())
            .bin_name(format!("ratesim {}", sub.get_name()))
            .version(super::version());
        pages.push((format!("{name}.1"), render(page)));
    }
    pages
}

fn render(cmd: clap::Command) -> String {
    let mut buf = Vec::new();
    // Rendering into a Vec cannot fail (no I/O), and clap's help text is UTF-8.
    let _ = clap_mangen::Man::new(cmd).render(&mut buf);
    examples_verbatim(&String::from_utf8_lossy(&buf))
}

/// clap_mangen puts `after_help` (our "Examples:" block) in a filled EXTRA
/// section, which justifies each command line across the page; make it an
/// EXAMPLES section printed line for line instead.
fn examples_verbatim(page: &str) -> String {
    let Some(start) = page.find(".SH EXTRA\nExamples:\n") else {
        return page.to_string();
    };
    let body_start = start + ".SH EXTRA\nExamples:\n".len();
    let end = page[body_start..]
        .find("\n.SH ")
        .map_or(page.len(), |i| body_start + i + 1);
    let body = page[body_start..end].trim_end_matches('\n');
    let lines: Vec<&str> = body.lines().map(str::trim_start).collect();
    format!(
        "{}.SH EXAMPLES\n.nf\n{}\n.fi\n{}",
        &page[..start],
        lines.join("\n"),
        &page[end..]
    )
}
