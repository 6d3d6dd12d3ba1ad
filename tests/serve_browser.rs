//! The live page in a real browser: headless Chromium loads `GET /` from a
//! server under load, takes a screenshot (kept at
//! `target/serve-dashboard.png` as a CI artifact), and the DOM it rendered
//! shows the numbers `GET /ratesim/stats` reports.
//!
//! Skipped with a message when no Chromium is installed, except under CI
//! (`CI` set), where `.ci/run` installs it and its absence is a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::serve::{config, get, post, start};

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .find_map(|name| {
            let out = Command::new("sh")
                .args(["-c", &format!("command -v {name}")])
                .output()
                .ok()?;
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            (out.status.success() && !path.is_empty()).then(|| PathBuf::from(path))
        })
}

fn browser(bin: &Path, args: &[&str]) -> String {
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--no-first-run",
            "--window-size=1280,1100",
            "--virtual-time-budget=4000",
        ])
        .args(args)
        .output()
        .expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The text of the element with `id` in a dumped DOM.
fn by_id(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &dom[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].trim().to_string()
}

fn body(i: usize) -> String {
    serde_json::json!({
        "model": "claude-sonnet-4-5", "max_tokens": 10,
        "messages": [{"role": "user", "content": format!("load {i}")}],
    })
    .to_string()
}

#[test]
fn the_dashboard_renders_what_the_stats_endpoint_reports() {
    let Some(bin) = chromium() else {
        if std::env::var_os("CI").is_some() {
            panic!("chromium is required under CI (apt-get install -y chromium)");
        }
        eprintln!(
            "SKIPPED: no chromium on PATH; install it (apt-get install -y chromium) to run this test"
        );
        return;
    };
    let mut cfg = config("serve-small.yaml");
    cfg.provider.overload.probability = 0.1;
    let s = start(cfg);
    // Load from a client while the browser draws: the bucket's 5 requests
    // go through, the rest are 429s (and about one in ten admitted is a 529).
    let stop = Arc::new(AtomicBool::new(false));
    let load = {
        let (base, stop) = (s.base.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < 400 {
                post(
                    &base,
                    "/v1/messages",
                    &body(i),
                    &[("x-stainless-retry-count", "0")],
                );
                i += 1;
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        })
    };
    while s.app.stats().totals.attempts < 20 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let shot = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("serve-dashboard.png");
    let _ = std::fs::remove_file(&shot);
    browser(
        &bin,
        &[
            &format!("--screenshot={}", shot.display()),
            &format!("{}/", s.base),
        ],
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );

    // Quiesce, then the page must show exactly what the endpoint says.
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    let stats = get(&s.base, "/ratesim/stats").json();
    let dom = browser(&bin, &["--dump-dom", &format!("{}/", s.base)]);
    let t = &stats["totals"];
    let r429: u64 = t["rate_limited"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert!(r429 > 0 && t["ok"].as_u64().unwrap() >= 5, "{t}");
    assert_eq!(by_id(&dom, "total-attempts"), t["attempts"].to_string());
    assert_eq!(by_id(&dom, "total-ok"), t["ok"].to_string());
    assert_eq!(by_id(&dom, "total-429"), r429.to_string());
    assert_eq!(
        by_id(&dom, "r429-rpm"),
        t["rate_limited"]["rpm"].to_string()
    );
    let e529 = t["overloaded"].as_u64().unwrap() + t["stream_errors"].as_u64().unwrap();
    assert_eq!(by_id(&dom, "total-529"), e529.to_string());
    // The pool's last-minute use, and the latest attempt in the table.
    let used = stats["pools"][0]["last_minute"]["requests"].to_string();
    assert_eq!(by_id(&dom, "use-0-rpm"), used);
    let last = stats["recent"].as_array().unwrap().last().unwrap();
    assert!(dom.contains(last["attempt"]["request_id"].as_str().unwrap()));
}
