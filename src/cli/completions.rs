//! `ratesim completions SHELL`: a completion script generated from the same
//! clap definition the binary parses with, so every subcommand and flag
//! (including ones added later) completes without a hand-kept list.

use clap_complete::Shell;

use super::{CliError, print};

/// Arguments of `ratesim completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:
  ratesim completions bash > ~/.local/share/bash-completion/completions/ratesim
  ratesim completions zsh > ~/.zfunc/_ratesim     # with fpath+=~/.zfunc before compinit
  ratesim completions fish > ~/.config/fish/completions/ratesim.fish")]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the completion script for `args.shell` on stdout.
pub fn run(args: &CompletionsArgs) -> Result<(), CliError> {
    let mut cmd = super::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "ratesim", &mut buf);
    let text = String::from_utf8(buf)
        .map_err(|e| CliError::Usage(format!("completion script is not UTF-8: {e}")))?;
    print(&text);
    Ok(())
}
