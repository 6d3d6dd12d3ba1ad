//! Bad input, found by mutation: every valid scenario and trace in the repo
//! is broken in a few thousand seeded ways (lines deleted, values swapped or
//! replaced by the wrong type, keys duplicated, indentation changed, text
//! truncated, garbage inserted) and each mutant is loaded. Nothing may panic,
//! and every error must be *located*:
//!
//! - it names the file it is about (the mutant, or the trace it replays);
//! - it gives `line:column`, and that position lies inside the text: the
//!   line exists (or is the one just past the end, for "the text ended too
//!   early") and the column is at most one past the line's last character;
//!   a position on an existing line comes with a caret snippet;
//! - the only errors allowed without a position are about the whole file:
//!   a scenario with nothing in it (after truncation, say) and a trace with
//!   no header or no rows. Those still name the file.
//!
//! Mutants that stay valid must load into a scenario that runs (a couple of
//! simulated seconds of every strategy) without panicking. A sample goes
//! through the real binary (`ratesim validate`): exit 2 with the library's
//! located message, or exit 0 for the valid ones.
//!
//! Deterministic: one ChaCha8 stream with a fixed seed drives every choice.
//! `cargo fuzz` (see the README) explores the same loaders open-endedly;
//! this test is its stable-toolchain stand-in that runs in CI.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use common::cli::validate_in;
use common::fixtures::{read, root};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ratesim::engine::SimTime;
use ratesim::scenario::{Scenario, ScenarioError, parse_trace};
use ratesim::sim;

/// Mutants per scenario seed file and per trace seed file.
const SCENARIO_MUTANTS: usize = 200;
const TRACE_MUTANTS: usize = 400;
/// How many mutants of each kind also go through the binary.
const CLI_SAMPLE: usize = 20;

/// Whole-file errors (no position) that are allowed, by message prefix.
const WHOLE_FILE: &[&str] = &[
    "scenario is empty",
    "the trace is empty",
    "the trace has no rows",
];

/// Values that are wrong for most keys: other types, negative, huge, empty,
/// not-a-number, infinite, unclosed, YAML tags and anchors.
const BAD_VALUES: &[&str] = &[
    "-1",
    "-0.5",
    "0",
    "1e308",
    "-1e308",
    "1e-320",
    "99999999999999999999999",
    "18446744073709551616",
    "-9223372036854775809",
    "4294967296",
    "\"\"",
    "''",
    "~",
    "null",
    ".nan",
    "NaN",
    ".inf",
    "-.inf",
    "true",
    "abc",
    "[]",
    "{}",
    "[1, 2",
    "{a: b",
    "0x10",
    "1_000",
    "10q",
    "-5m",
    "99999999999d",
    "!!binary aGk=",
    "&a 1",
    "*nope",
    "\"unterminated",
    "|",
    "[[[[[[[[[[]]]]]]]]]]",
];

/// Bits of garbage inserted at random offsets.
const GARBAGE: &[&str] = &[
    "\t", "\0", ":", ": ", "{", "}", "[", "]", "&", "*", "!", "%", "'", "\"", "|", ">", "#", "-",
    "- ", "? ", ",", "\u{feff}", "é", "\r", "\n", "---\n", "...\n", "\u{7f}", "\u{2028}", "💥",
    "\\", "@", "`",
];

/// A source of mutants: a valid file's name and text.
struct Seed {
    name: String,
    text: String,
}

fn files(dir: &str, ext: &str) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| format!("{dir}/{}", p.file_name().unwrap().to_str().unwrap()))
        .collect();
    out.sort();
    out
}

/// Every shipped scenario (all must be valid) and the valid fixtures.
fn scenario_seeds() -> Vec<Seed> {
    let mut seeds = Vec::new();
    for name in files("scenarios", "yaml") {
        let text = read(&name);
        if let Err(e) = Scenario::from_yaml_str(&name, &text) {
            panic!("shipped scenario {name} is invalid: {e}");
        }
        seeds.push(Seed { name, text });
    }
    let shipped = seeds.len();
    for dir in ["tests/fixtures", "tests/fixtures/validation"] {
        for name in files(dir, "yaml") {
            let text = read(&name);
            if Scenario::from_yaml_str(&name, &text).is_ok() {
                seeds.push(Seed { name, text });
            }
        }
    }
    assert!(shipped >= 10, "only {shipped} shipped scenarios");
    // good, charts, gate-pass, gate-fail, plan-steady and the validation five.
    assert!(
        seeds.len() >= shipped + 10,
        "only {} valid fixtures",
        seeds.len() - shipped
    );
    seeds
}

/// The shipped CSV trace and the JSONL fixture.
fn trace_seeds() -> Vec<Seed> {
    let seeds: Vec<Seed> = [
        "scenarios/traces/support-day.csv",
        "tests/fixtures/traces/support-sample.jsonl",
    ]
    .into_iter()
    .map(|name| Seed {
        name: name.to_string(),
        text: read(name),
    })
    .collect();
    for s in &seeds {
        let t = parse_trace(&s.name, &s.text).unwrap_or_else(|e| panic!("{e}"));
        assert!(t.rows.len() >= 40, "{}: {} rows", s.name, t.rows.len());
    }
    seeds
}

// ---------------------------------------------------------------- mutations

/// Byte ranges of the lines of `text` (without their `\n`).
fn line_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            spans.push((start, i));
            start = i + 1;
        }
    }
    if start < text.len() {
        spans.push((start, text.len()));
    }
    spans
}

/// A random char boundary in `text` (0 ..= len).
fn boundary(rng: &mut ChaCha8Rng, text: &str) -> usize {
    let mut i = rng.random_range(0..=text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, xs: &'a [T]) -> Option<&'a T> {
    (!xs.is_empty()).then(|| &xs[rng.random_range(0..xs.len())])
}

/// Byte ranges of scalar values in `key: value` lines (the value up to a
/// comment or the end of the line), skipping comment-only lines.
fn yaml_values(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (s, e) in line_spans(text) {
        let line = &text[s..e];
        if line.trim_start().starts_with('#') {
            continue;
        }
        let Some(colon) = line.find(": ") else {
            continue;
        };
        let vstart = colon + 2 + (line.len() - colon - 2 - line[colon + 2..].trim_start().len());
        let vend = line[vstart..].find(" #").map_or(line.len(), |i| vstart + i);
        let vend = vstart + line[vstart..vend].trim_end().len();
        if vend > vstart {
            out.push((s + vstart, s + vend));
        }
    }
    out
}

/// Byte ranges of tokens (runs of letters, digits, `.`, `-`, `_`, `:` minus
/// trailing `:`) outside comments: numbers inside flow maps, CSV cells,
/// JSON numbers and the text inside JSON strings.
fn tokens(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    for (s, e) in line_spans(text) {
        let line = &text[s..e];
        let end = if line.trim_start().starts_with('#') {
            0
        } else {
            line.find(" #").unwrap_or(line.len())
        };
        let b = line.as_bytes();
        let mut i = 0;
        while i < end {
            if b[i].is_ascii_alphanumeric() {
                let j = (i..end)
                    .find(|&j| !(b[j].is_ascii_alphanumeric() || b"._-+".contains(&b[j])))
                    .unwrap_or(end);
                out.push((s + i, s + j));
                i = j;
            } else {
                i += 1;
            }
        }
    }
    out
}

/// Replaces `range` of `text` with `with`.
fn splice(text: &str, (a, b): (usize, usize), with: &str) -> String {
    format!("{}{with}{}", &text[..a], &text[b..])
}

/// One mutation of `text`, and what it did (for failure messages).
fn mutate(rng: &mut ChaCha8Rng, text: &str, yaml: bool) -> (String, String) {
    let lines = line_spans(text);
    let values = if yaml {
        yaml_values(text)
    } else {
        tokens(text)
    };
    let toks = tokens(text);
    loop {
        match rng.random_range(0..10) {
            0 => {
                let Some(&(a, b)) = pick(rng, &lines) else {
                    continue;
                };
                let b = (b + 1).min(text.len());
                return (splice(text, (a, b), ""), format!("delete line at {a}"));
            }
            1 => {
                if lines.is_empty() {
                    continue;
                }
                let i = rng.random_range(0..lines.len());
                let j = (i + rng.random_range(1..=6)).min(lines.len()) - 1;
                let b = (lines[j].1 + 1).min(text.len());
                return (
                    splice(text, (lines[i].0, b), ""),
                    format!("delete lines {}..={}", i + 1, j + 1),
                );
            }
            2 => {
                // Swap two values (between keys, or CSV cells).
                if values.len() < 2 {
                    continue;
                }
                let i = rng.random_range(0..values.len());
                let j = rng.random_range(0..values.len());
                let (x, y) = (values[i.min(j)], values[i.max(j)]);
                if x == y {
                    continue;
                }
                let (vx, vy) = (&text[x.0..x.1], &text[y.0..y.1]);
                let out = format!(
                    "{}{vy}{}{vx}{}",
                    &text[..x.0],
                    &text[x.1..y.0],
                    &text[y.1..]
                );
                return (out, format!("swap `{vx}` and `{vy}`"));
            }
            3 | 4 => {
                let pool = if rng.random_bool(0.5) { &values } else { &toks };
                let Some(&r) = pick(rng, pool) else {
                    continue;
                };
                let v = *pick(rng, BAD_VALUES).unwrap();
                return (
                    splice(text, r, v),
                    format!("replace `{}` with `{v}`", &text[r.0..r.1]),
                );
            }
            5 => {
                // Duplicate a line (a key, a list item, a CSV row).
                let Some(&(a, b)) = pick(rng, &lines) else {
                    continue;
                };
                let line = &text[a..b];
                let out = format!("{}{line}\n{}", &text[..a], &text[a..]);
                return (out, format!("duplicate line `{line}`"));
            }
            6 => {
                // Indent or dedent a line.
                let Some(&(a, b)) = pick(rng, &lines) else {
                    continue;
                };
                let line = &text[a..b];
                let trimmed = line.trim_start();
                let indent = line.len() - trimmed.len();
                let new = match rng.random_range(0..4) {
                    0 => format!("\t{line}"),
                    1 => format!("{}{line}", " ".repeat(rng.random_range(1..=3))),
                    2 => format!("{}{trimmed}", " ".repeat(indent.saturating_sub(2))),
                    _ => format!("{}{trimmed}", " ".repeat(indent + 1)),
                };
                return (splice(text, (a, b), &new), format!("reindent `{line}`"));
            }
            7 => {
                let i = boundary(rng, text);
                return (text[..i].to_string(), format!("truncate at byte {i}"));
            }
            8 => {
                let i = boundary(rng, text);
                let g = *pick(rng, GARBAGE).unwrap();
                return (splice(text, (i, i), g), format!("insert {g:?} at byte {i}"));
            }
            _ => {
                // Swap two whole lines (rows out of order, keys moved).
                if lines.len() < 2 {
                    continue;
                }
                let i = rng.random_range(0..lines.len() - 1);
                let j = rng.random_range(i + 1..lines.len());
                let (x, y) = (lines[i], lines[j]);
                let (lx, ly) = (&text[x.0..x.1], &text[y.0..y.1]);
                let out = format!(
                    "{}{ly}{}{lx}{}",
                    &text[..x.0],
                    &text[x.1..y.0],
                    &text[y.1..]
                );
                return (out, format!("swap lines {} and {}", i + 1, j + 1));
            }
        }
    }
}

/// One to three mutations in a row.
fn mutant(rng: &mut ChaCha8Rng, text: &str, yaml: bool) -> (String, Vec<String>) {
    let mut out = text.to_string();
    let mut what = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        let (m, w) = mutate(rng, &out, yaml);
        out = m;
        what.push(w);
    }
    (out, what)
}

// ------------------------------------------------------------------ checks

/// Why `e` is not a properly located error about `file` (whose text is
/// `text`), or `None` if it is one.
fn unlocated(e: &ScenarioError, file: &str, text: &str) -> Option<String> {
    if e.file != file {
        return Some(format!("names `{}`, expected `{file}`", e.file));
    }
    let shown = e.to_string();
    match e.position {
        None => {
            if !WHOLE_FILE.iter().any(|p| e.message.starts_with(p)) {
                return Some("no line:column".to_string());
            }
            if !shown.starts_with(&format!("{file}: ")) {
                return Some("display does not start with the file".to_string());
            }
        }
        Some((line, col)) => {
            if !shown.starts_with(&format!("{file}:{line}:{col}: ")) {
                return Some("display does not start with file:line:col".to_string());
            }
            // Lines as YAML and editors count them: a lone CR breaks one.
            let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
            let lines: Vec<&str> = normalised.lines().collect();
            let n = lines.len() as u64;
            if line == 0 || col == 0 || line > n + 1 {
                return Some(format!("position {line}:{col} outside {n} lines"));
            }
            if let Some(l) = lines.get(line as usize - 1) {
                let width = l.chars().count() as u64;
                if col > width + 1 {
                    return Some(format!(
                        "column {col} past the end of line {line} ({width})"
                    ));
                }
                // The snippet echoes that line (or a window of a long one).
                let echoed = l.chars().take(40).collect::<String>();
                let snippet = e.snippet.as_deref().unwrap_or_default();
                if !snippet.contains('^') || (col <= 80 && !snippet.contains(echoed.trim_end())) {
                    return Some("no caret snippet under the line".to_string());
                }
            }
        }
    }
    if e.message.trim().is_empty() {
        return Some("empty message".to_string());
    }
    None
}

/// Loads `text` as `name`; a panic is returned as `Err`.
fn load(name: &str, text: &str) -> Result<Result<Scenario, ScenarioError>, String> {
    catch_unwind(|| Scenario::from_yaml_str(name, text)).map_err(panic_message)
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// Runs every strategy of a valid mutant for two simulated seconds.
fn run_briefly(s: &Scenario) -> Result<(), String> {
    let mut cfg = s.sim.clone();
    cfg.horizon = cfg.horizon.min(SimTime::from_secs(2));
    cfg.drain = cfg.drain.min(SimTime::from_secs(1));
    for strategy in &s.strategies {
        let r = catch_unwind(AssertUnwindSafe(|| sim::run(&cfg, strategy)));
        match r {
            Err(p) => return Err(format!("{}: panicked: {}", strategy.name, panic_message(p))),
            Ok(Err(e)) => return Err(format!("{}: run failed: {e}", strategy.name)),
            Ok(Ok(m)) => {
                let t = m.total();
                if t.requests != t.succeeded + t.failed_total() {
                    return Err(format!("{}: requests do not add up", strategy.name));
                }
            }
        }
    }
    Ok(())
}

/// Tallies for a run over many mutants.
#[derive(Default, Debug)]
struct Tally {
    mutants: usize,
    errors: usize,
    whole_file: usize,
    valid: usize,
    problems: Vec<String>,
}

impl Tally {
    fn problem(&mut self, name: &str, what: &[String], text: &str, why: String) {
        if self.problems.len() < 20 {
            let head: String = text.chars().take(600).collect();
            self.problems.push(format!(
                "{name} after {what:?}: {why}\n--- mutant (first 600 chars) ---\n{head}"
            ));
        }
    }

    fn assert_clean(&self) {
        eprintln!(
            "{} mutants: {} rejected ({} whole-file), {} valid",
            self.mutants, self.errors, self.whole_file, self.valid
        );
        assert!(
            self.problems.is_empty(),
            "{} problem(s) in {} mutants:\n\n{}",
            self.problems.len(),
            self.mutants,
            self.problems.join("\n\n")
        );
    }
}

/// The trace files a scenario text refers to (`trace: x.csv`), as loaded.
fn referenced_traces(name: &str, text: &str) -> Vec<(String, String)> {
    let base = Path::new(name).parent().unwrap();
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("trace:"))
        .filter_map(|v| v.split('#').next())
        .map(|v| base.join(v.trim()).display().to_string())
        .filter_map(|f| {
            let text = std::fs::read_to_string(root().join(&f)).ok()?;
            Some((f, text))
        })
        .collect()
}

#[test]
fn mutated_scenarios_fail_with_located_errors_and_never_panic() {
    let seeds = scenario_seeds();
    let mut rng = ChaCha8Rng::seed_from_u64(0x5eed_7e57);
    let mut tally = Tally::default();
    let mut kinds = std::collections::BTreeSet::new();
    for seed in &seeds {
        let traces = referenced_traces(&seed.name, &seed.text);
        for _ in 0..SCENARIO_MUTANTS {
            let (text, what) = mutant(&mut rng, &seed.text, true);
            tally.mutants += 1;
            match load(&seed.name, &text) {
                Err(p) => tally.problem(&seed.name, &what, &text, format!("panicked: {p}")),
                Ok(Err(e)) => {
                    tally.errors += 1;
                    tally.whole_file += e.position.is_none() as usize;
                    kinds.insert(e.message.chars().take(30).collect::<String>());
                    // An error may be about a trace the scenario replays.
                    let (file, src) = traces
                        .iter()
                        .find(|(f, _)| *f == e.file)
                        .map_or((seed.name.as_str(), text.as_str()), |(f, t)| (f, t));
                    if let Some(why) = unlocated(&e, file, src) {
                        tally.problem(&seed.name, &what, &text, format!("{why}: {e}"));
                    }
                }
                Ok(Ok(s)) => {
                    tally.valid += 1;
                    if let Err(why) = run_briefly(&s) {
                        tally.problem(&seed.name, &what, &text, why);
                    }
                }
            }
        }
    }
    tally.assert_clean();
    // The mutations must actually break most files, in many different ways.
    assert!(
        tally.errors * 10 >= tally.mutants * 6,
        "only {} of {} mutants rejected",
        tally.errors,
        tally.mutants
    );
    assert!(tally.valid > 0, "no mutant stayed valid");
    assert!(
        kinds.len() >= 40,
        "only {} kinds of error: {kinds:?}",
        kinds.len()
    );
}

#[test]
fn mutated_traces_fail_with_located_errors_and_never_panic() {
    let seeds = trace_seeds();
    let mut rng = ChaCha8Rng::seed_from_u64(0x7ace_7e57);
    let mut tally = Tally::default();
    for seed in &seeds {
        for _ in 0..TRACE_MUTANTS {
            let (text, what) = mutant(&mut rng, &seed.text, false);
            tally.mutants += 1;
            match catch_unwind(|| parse_trace(&seed.name, &text)) {
                Err(p) => {
                    let p = panic_message(p);
                    tally.problem(&seed.name, &what, &text, format!("panicked: {p}"));
                }
                Ok(Err(e)) => {
                    tally.errors += 1;
                    tally.whole_file += e.position.is_none() as usize;
                    if let Some(why) = unlocated(&e, &seed.name, &text) {
                        tally.problem(&seed.name, &what, &text, format!("{why}: {e}"));
                    }
                }
                Ok(Ok(t)) => {
                    tally.valid += 1;
                    // Rows start at 0 and stay in time order.
                    let ok = t.rows.first().is_some_and(|r| r.at == 0)
                        && t.rows.windows(2).all(|w| w[0].at <= w[1].at);
                    if !ok {
                        tally.problem(&seed.name, &what, &text, "rows out of order".into());
                    }
                }
            }
        }
    }
    tally.assert_clean();
    assert!(
        tally.errors * 10 >= tally.mutants * 5,
        "only {} of {} mutants rejected",
        tally.errors,
        tally.mutants
    );
    assert!(tally.valid > 0, "no mutant stayed valid");
}

// ------------------------------------------------------------- the binary

/// Runs the binary on the scenario at `path` and checks it against the
/// library: exit 0 and "ok" for a valid file, else exit 2 with the library's
/// (located) error first on stderr. Returns whether the file was valid.
fn check_cli(path: &Path, what: &[String], problems: &mut Vec<String>) -> bool {
    let file = path.display().to_string();
    let expected = Scenario::load(path);
    let (code, stdout, stderr) = validate_in(path.parent().unwrap(), &file);
    let mut fail = |why: String| problems.push(format!("{file} after {what:?}: {why}\n{stderr}"));
    if stderr.contains("panicked") {
        fail("panicked".into());
    }
    match expected {
        Ok(_) => {
            if code != Some(0) || !stdout.starts_with(&format!("{file}: ok")) {
                fail(format!("valid mutant: exit {code:?}, stdout {stdout:?}"));
            }
            true
        }
        Err(e) => {
            if code != Some(2) {
                fail(format!("exit {code:?}, expected 2"));
            }
            let first = e.to_string().lines().next().unwrap().to_string();
            if !stderr.starts_with(&format!("error: {first}\n")) {
                fail(format!("stderr does not start with `error: {first}`"));
            }
            let text = std::fs::read_to_string(&e.file).unwrap_or_default();
            if let Some(why) = unlocated(&e, &e.file, &text) {
                fail(why);
            }
            false
        }
    }
}

#[test]
fn the_binary_reports_mutants_like_the_library() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("traces")).unwrap();
    let trace = read("scenarios/traces/support-day.csv");
    std::fs::write(dir.path().join("traces/support-day.csv"), &trace).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(0xc11_7e57);
    let mut problems = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    let mut tally = |ok: bool| if ok { valid += 1 } else { invalid += 1 };

    // Scenarios, each from another seed file.
    let seeds = scenario_seeds();
    for k in 0..CLI_SAMPLE {
        let seed = &seeds[k * 7 % seeds.len()];
        let (text, what) = mutant(&mut rng, &seed.text, true);
        let path = dir.path().join(format!("m{k}.yaml"));
        std::fs::write(&path, &text).unwrap();
        tally(check_cli(&path, &what, &mut problems));
    }

    // Traces: the shipped trace scenario replaying a mutated CSV (errors
    // then name the trace file).
    let path = dir.path().join("trace-replay.yaml");
    std::fs::write(&path, read("scenarios/trace-replay.yaml")).unwrap();
    for _ in 0..CLI_SAMPLE / 2 {
        let (text, what) = mutant(&mut rng, &trace, false);
        std::fs::write(dir.path().join("traces/support-day.csv"), &text).unwrap();
        tally(check_cli(&path, &what, &mut problems));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
    // The sample must exercise the error path mostly (which seed files it
    // draws from shifts as fixtures are added, so ask for half, not a count).
    let total = CLI_SAMPLE + CLI_SAMPLE / 2;
    assert!(
        2 * invalid >= total,
        "only {invalid} of {total} mutants invalid"
    );
    assert!(valid >= 1, "no valid mutant in the sample");
}
