//! Every saved result records the ratesim version and catalogue date that
//! made it, and reading one made with another catalogue says so.

mod common;

use common::cli::{run, run_ok, stdout};
use common::fixtures::GOOD;
use serde_json::Value;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const CATALOGUE: &str = ratesim::model::catalog::CATALOG_DATE;

fn json(args: &[&str]) -> Value {
    serde_json::from_str(&stdout(&run_ok(args))).unwrap()
}

fn assert_stamped(v: &Value, what: &str) {
    assert_eq!(v["ratesim"]["version"], VERSION, "{what}: {v}");
    assert_eq!(v["ratesim"]["catalogue"], CATALOGUE, "{what}: {v}");
}

fn made_with() -> String {
    format!("_Made with ratesim {VERSION} · catalogue {CATALOGUE}._\n")
}

#[test]
fn every_json_and_markdown_output_records_version_and_catalogue() {
    let short = ["--duration", "2m"];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("simulate", vec!["simulate", GOOD]),
        ("simulate -n", vec!["simulate", GOOD, "-n", "2"]),
        (
            "compare",
            vec![
                "compare",
                GOOD,
                "--baseline",
                "naive_retry",
                "--candidate",
                "sdk_default",
                "-n",
                "2",
            ],
        ),
        (
            "sweep",
            vec![
                "sweep",
                GOOD,
                "--param",
                "streams.chat.rate_per_min=20,40",
                "-n",
                "1",
            ],
        ),
        (
            "plan",
            vec!["plan", GOOD, "--growth", "50%/month", "--months", "2"],
        ),
        ("tiers", vec!["tiers"]),
    ];
    for (what, args) in cases {
        let mut a = args.clone();
        if what != "tiers" {
            a.extend(short);
        }
        let mut j = a.clone();
        j.extend(["--format", "json"]);
        assert_stamped(&json(&j), what);
        let mut m = a.clone();
        m.extend(["--format", "markdown"]);
        let md = stdout(&run_ok(&m));
        assert!(md.ends_with(&made_with()), "{what}: markdown ends\n{md}");
    }
}

/// Saves a baseline, then rewrites its `ratesim` stamp with `edit`.
fn baseline(dir: &std::path::Path, edit: impl Fn(&mut Value)) -> String {
    let path = dir.join("base.json");
    let p = path.to_str().unwrap();
    run_ok(&[
        "simulate",
        GOOD,
        "--duration",
        "2m",
        "-n",
        "2",
        "--save-baseline",
        p,
        "--force",
    ]);
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_stamped(&v, "baseline");
    edit(&mut v);
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    p.to_string()
}

fn compare_against(file: &str) -> String {
    let (code, _, err) = run(&["compare", GOOD, "--duration", "2m", "--against", file]);
    assert!(matches!(code, Some(0 | 1)), "{err}");
    err
}

#[test]
fn compare_against_warns_when_the_baselines_catalogue_differs() {
    let dir = tempfile::tempdir().unwrap();
    // The same build: nothing to say.
    let f = baseline(dir.path(), |_| {});
    let err = compare_against(&f);
    assert!(!err.contains("warning") && !err.contains("note: "), "{err}");
    // Same catalogue, another version: a note, not a warning.
    let f = baseline(dir.path(), |v| v["ratesim"]["version"] = "9.9.9".into());
    let err = compare_against(&f);
    assert!(!err.contains("warning"), "{err}");
    assert!(
        err.contains(&format!(
            "note: {f}: made by ratesim 9.9.9, this is {VERSION} (same catalogue)"
        )),
        "{err}"
    );
    // Another catalogue: named, both dates.
    let f = baseline(dir.path(), |v| {
        v["ratesim"]["catalogue"] = "2025-01-31".into()
    });
    let err = compare_against(&f);
    assert!(
        err.contains(&format!(
            "warning: {f}: it was made by ratesim {VERSION} · catalogue 2025-01-31, this is ratesim {VERSION} · catalogue {CATALOGUE}"
        )),
        "{err}"
    );
    // A file from before outputs were stamped still reads, with a warning.
    let f = baseline(dir.path(), |v| {
        v.as_object_mut().unwrap().remove("ratesim");
    });
    let err = compare_against(&f);
    assert!(err.contains("records no ratesim version"), "{err}");
}

#[test]
fn shards_from_different_builds_do_not_merge() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 1..=2 {
        let out = dir.path().join(format!("s{i}"));
        let shard = format!("{i}/2");
        run_ok(&[
            "sweep",
            GOOD,
            "--duration",
            "2m",
            "--param",
            "streams.chat.rate_per_min=20,40",
            "-n",
            "1",
            "--shard",
            &shard,
            "--out",
            out.to_str().unwrap(),
        ]);
        files.push(out.join("sweep.json"));
    }
    let f = &files[1];
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
    v["ratesim"]["catalogue"] = "2025-01-31".into();
    std::fs::write(f, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (code, _, err) = run(&["merge", files[0].to_str().unwrap(), f.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("different ratesim builds"), "{err}");
    assert!(err.contains("catalogue 2025-01-31"), "{err}");
}
