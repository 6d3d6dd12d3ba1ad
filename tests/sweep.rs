//! Sweeps: sharded-then-merged output equals the unsharded output byte for
//! byte, and the thread count never changes a result.

mod common;

use std::path::Path;

use common::cli::ratesim;
use common::fixtures::GOOD;

fn sweep(out: &Path, extra: &[&str]) -> std::process::Output {
    let mut cmd = ratesim();
    cmd.args([
        "sweep",
        GOOD,
        "--param",
        "streams.chat.rate_per_min=20,40,80",
        "--param",
        "strategy.exponential_backoff.cap=10s,30s",
        "-n",
        "3",
        "--assert",
        "rate_limited.total < 200",
        "--out",
    ])
    .arg(out)
    .args(extra);
    cmd.output().unwrap()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn sharded_then_merged_equals_unsharded_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let out = sweep(&whole, &["--jobs", "2"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut shard_files = Vec::new();
    for i in 1..=3 {
        let d = dir.path().join(format!("shard{i}"));
        let out = sweep(&d, &["--shard", &format!("{i}/3"), "--jobs", "1"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        shard_files.push(d.join("sweep.json"));
    }
    // Shard 2 of 3 holds points 1 and 4 of the 6.
    let shard2: serde_json::Value = serde_json::from_slice(&read(&shard_files[1])).unwrap();
    let idx: Vec<u64> = shard2["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["index"].as_u64().unwrap())
        .collect();
    assert_eq!(idx, vec![1, 4]);

    let merged = dir.path().join("merged");
    let mut cmd = ratesim();
    // Shards in any order.
    cmd.args(["merge"])
        .arg(&shard_files[2])
        .arg(&shard_files[0])
        .arg(&shard_files[1])
        .arg("--out")
        .arg(&merged);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["sweep.json", "sweep.csv", "sweep.png"] {
        // (Compared without printing: the files are long.)
        assert!(read(&whole.join(f)) == read(&merged.join(f)), "{f} differs");
    }
    let v: serde_json::Value = serde_json::from_slice(&read(&whole.join("sweep.json"))).unwrap();
    assert_eq!(v["points"].as_array().unwrap().len(), 6);
    assert!(v.get("shard").is_none());
    // Two parameters: a heat map, drawn for whole sweeps only.
    for d in [&whole, &merged] {
        let decoder = png::Decoder::new(std::fs::File::open(d.join("sweep.png")).unwrap());
        let info = decoder.read_info().unwrap().info().clone();
        assert_eq!((info.width, info.height), (1200, 700));
    }
    assert!(!shard_files[0].with_file_name("sweep.png").exists());
}

#[test]
fn thread_count_does_not_change_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    assert!(sweep(&a, &["--jobs", "1"]).status.success());
    assert!(sweep(&b, &["--jobs", "2"]).status.success());
    assert!(read(&a.join("sweep.json")) == read(&b.join("sweep.json")));
}

#[test]
fn merging_an_incomplete_set_of_shards_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("s1");
    assert!(sweep(&d, &["--shard", "1/3"]).status.success());
    let mut cmd = ratesim();
    cmd.args(["merge"]).arg(d.join("sweep.json"));
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
}

#[test]
fn bad_params_and_shards_are_usage_errors() {
    for args in [
        vec!["--param", "streams.chat.nope=1,2"],
        vec!["--param", "no-equals-sign"],
        vec!["--param", "streams.chat.rate_per_min=5", "--shard", "4/3"],
    ] {
        let mut cmd = ratesim();
        cmd.args(["sweep", GOOD]).args(&args);
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}
