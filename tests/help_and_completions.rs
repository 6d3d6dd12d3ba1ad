//! Shipping pieces generated from the clap definition: every subcommand's
//! `--help` ends with examples that parse (and name files that exist), shell
//! completions and man pages cover every subcommand, and `--version` names
//! the catalogue date.

mod common;

use common::cli::{run, run_ok, stdout};
use common::shell::words;

/// Subcommands as the binary defines them (so ones added later are checked
/// too), without clap's `help`.
fn subcommands() -> Vec<String> {
    ratesim::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect()
}

/// The example lines at the end of `help`: everything after `Examples:`.
fn examples(help: &str) -> Vec<String> {
    let (_, tail) = help
        .rsplit_once("\nExamples:\n")
        .unwrap_or_else(|| panic!("no Examples: section at the end of\n{help}"));
    tail.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect()
}

#[test]
fn every_subcommands_help_ends_with_examples_that_parse() {
    let subs = subcommands();
    assert!(subs.len() >= 9, "{subs:?}");
    for sub in &subs {
        let help = stdout(&run_ok(&[sub, "--help"]));
        let lines = examples(&help);
        assert!(
            (2..=3).contains(&lines.len()),
            "`ratesim {sub} --help` should end with 2 or 3 examples, has {lines:?}"
        );
        for line in lines {
            let argv = words(&line);
            assert_eq!(argv[..2], ["ratesim", sub.as_str()], "{line}");
            let parsed = ratesim::cli::command().try_get_matches_from(&argv);
            assert!(parsed.is_ok(), "`{line}` does not parse: {parsed:?}");
            for w in &argv {
                if w.starts_with("scenarios/") && !w.contains('*') {
                    assert!(std::path::Path::new(w).is_file(), "`{line}`: no {w}");
                }
            }
            // The cheap ones run for real.
            if matches!(sub.as_str(), "validate" | "tiers") {
                let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
                let args: Vec<String> = args.iter().flat_map(|a| glob(a)).collect();
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                run_ok(&args);
            }
        }
    }
    let top = stdout(&run_ok(&["--help"]));
    for line in examples(&top) {
        let argv = words(&line);
        let parsed = ratesim::cli::command().try_get_matches_from(&argv);
        assert!(parsed.is_ok(), "`{line}` does not parse: {parsed:?}");
    }
}

/// `scenarios/*.yaml` expanded (the only glob the examples use), else `a`.
fn glob(a: &str) -> Vec<String> {
    match a.strip_suffix("*.yaml") {
        Some(dir) => {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
                .map(|p| p.display().to_string())
                .collect();
            v.sort();
            assert!(v.len() > 5);
            v
        }
        None => vec![a.to_string()],
    }
}

#[test]
fn completions_cover_every_subcommand_in_every_shell() {
    let subs = subcommands();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&run_ok(&["completions", shell]));
        for sub in &subs {
            assert!(script.contains(sub.as_str()), "{shell}: no `{sub}`");
        }
        // Flags of a subcommand complete too.
        assert!(script.contains("replications"), "{shell}");
    }
    let bash = stdout(&run_ok(&["completions", "bash"]));
    assert!(bash.contains("complete -F _ratesim"), "{bash}");
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bash"), "{err}");
}

#[test]
fn man_prints_the_main_page_and_writes_one_per_subcommand() {
    let page = stdout(&run_ok(&["man"]));
    assert!(page.starts_with(".ie"), "{page}");
    assert!(page.contains(".TH ratesim 1"), "{page}");
    for sub in subcommands() {
        let see = format!("ratesim\\-{}(1)", sub.replace('-', "\\-"));
        assert!(page.contains(&see), "no {see} in\n{page}");
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("man1");
    let out_s = out.to_str().unwrap();
    run_ok(&["man", "--out", out_s]);
    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut expected: Vec<String> = subcommands()
        .iter()
        .map(|s| format!("ratesim-{s}.1"))
        .chain(["ratesim.1".to_string()])
        .collect();
    expected.sort();
    assert_eq!(files, expected);
    assert_eq!(
        std::fs::read_to_string(out.join("ratesim.1")).unwrap(),
        page
    );
    let sweep = std::fs::read_to_string(out.join("ratesim-sweep.1")).unwrap();
    assert!(sweep.contains(".TH ratesim-sweep 1"), "{sweep}");
    assert!(sweep.contains("\\-\\-shard"), "{sweep}");
    // The examples print line for line (no-fill), one command per line.
    let (_, examples) = sweep.split_once(".SH EXAMPLES\n.nf\n").unwrap();
    let (examples, _) = examples.split_once("\n.fi\n").unwrap();
    assert_eq!(examples.lines().count(), 3, "{examples}");
    assert!(
        examples.lines().all(|l| l.starts_with("ratesim sweep ")),
        "{examples}"
    );
    // Nothing is overwritten without --force.
    let (code, _, err) = run(&["man", "--out", out_s]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    run_ok(&["man", "--out", out_s, "--force"]);
}

#[test]
fn version_names_the_version_and_the_catalogue_date() {
    let v = stdout(&run_ok(&["--version"]));
    assert_eq!(
        v,
        format!(
            "ratesim {} (catalogue {})\n",
            env!("CARGO_PKG_VERSION"),
            ratesim::model::catalog::CATALOG_DATE
        )
    );
}

#[test]
fn words_follow_the_shell() {
    assert_eq!(
        words("ratesim x --assert 'failed == 0' -n 2   # note"),
        ["ratesim", "x", "--assert", "failed == 0", "-n", "2"]
    );
    assert_eq!(words("a \"b c\" > f && d"), ["a", "b c"]);
    assert_eq!(words("a b#c"), ["a", "b#c"]);
}
