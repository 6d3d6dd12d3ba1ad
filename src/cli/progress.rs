//! A progress bar on stderr.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar on stderr for long runs; indicatif draws nothing when stderr is not
/// a terminal.
pub fn progress(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    // A template error would only lose the bar's layout, never a result.
    if let Ok(style) =
        ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} [{elapsed_precise}, eta {eta}]")
    {
        bar.set_style(style);
    }
    bar.set_message(what.to_string());
    bar
}
