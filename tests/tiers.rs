//! `ratesim tiers`: the built-in catalogue on the command line.

mod common;

use common::cli::{ratesim, run_ok, stdout};
use predicates::prelude::*;
use serde_json::Value;

/// The lines of the table section for `profile` (from its title line to the
/// next blank line).
fn section<'a>(text: &'a str, profile: &str) -> Vec<&'a str> {
    let title = format!("{profile} — ");
    text.lines()
        .skip_while(|l| !l.starts_with(&title))
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn table_lists_tier_one_sonnet_sources_and_unofficial_profiles() {
    let text = stdout(&run_ok(&["tiers"]));
    let tier1 = section(&text, "tier1");
    assert!(!tier1.is_empty(), "no tier1 section:\n{text}");
    let sonnet = tier1
        .iter()
        .find(|l| l.trim_start().starts_with("sonnet-4 "))
        .unwrap_or_else(|| panic!("no sonnet-4 row in tier1:\n{}", tier1.join("\n")));
    let cells: Vec<&str> = sonnet.split_whitespace().collect();
    assert_eq!(&cells[1..4], &["50", "30,000", "8,000"], "{sonnet}");
    assert!(sonnet.contains("claude-sonnet-4-5"));
    assert!(text.contains("https://platform.claude.com/docs/en/api/rate-limits"));
    assert!(text.contains("2026-04-23"));
    for name in [
        "seed-guide-2026/free",
        "seed-guide-2026/build-5",
        "seed-guide-2026/build-100",
    ] {
        let title = text
            .lines()
            .find(|l| l.starts_with(&format!("{name} — ")))
            .unwrap_or_else(|| panic!("no {name} section"));
        assert!(title.contains("unofficial"), "{title}");
    }
    // Every official profile is shown.
    for name in ["tier2", "tier3", "tier4", "start", "build", "scale"] {
        assert!(!section(&text, name).is_empty(), "no {name} section");
    }
}

#[test]
fn json_is_stable_and_has_tier_four_haiku() {
    let text = stdout(&run_ok(&["tiers", "--format", "json"]));
    let v: Value = serde_json::from_str(&text).expect("JSON");
    assert_eq!(v["schema_version"], 1);
    let profiles = v["profiles"].as_array().unwrap();
    let t4 = profiles.iter().find(|p| p["name"] == "tier4").unwrap();
    let haiku = t4["pools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["pool"] == "haiku-4-5")
        .unwrap();
    assert_eq!(haiku["rpm"], 4_000);
    assert_eq!(haiku["itpm"], 4_000_000);
    assert_eq!(haiku["otpm"], 800_000);
    assert_eq!(t4["spend"]["monthly_limit_usd"], 200_000);
    assert_eq!(t4["batch"]["max_queued_requests"], 500_000);
    let seed = profiles
        .iter()
        .find(|p| p["name"] == "seed-guide-2026/build-5")
        .unwrap();
    assert_eq!(seed["official"], false);
    assert!(seed["label"].as_str().unwrap().contains("unofficial"));
    assert_eq!(seed["pools"][0]["tpm"], 80_000);
    assert!(seed["pools"][0]["itpm"].is_null());
    // Same input, same bytes.
    assert_eq!(text, stdout(&run_ok(&["tiers", "--format", "json"])));
}

#[test]
fn model_filter_shows_its_prices_and_pool_only() {
    let text = stdout(&run_ok(&["tiers", "--model", "claude-opus-4-1"]));
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("claude-opus-4-1 "))
        .unwrap_or_else(|| panic!("no price row:\n{text}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[2..4], &["15.00", "75.00"], "{row}");
    assert!(row.contains("18.75") && row.contains("37.50") && row.contains("1,024"));
    assert!(
        !text.contains("claude-sonnet-4-5 "),
        "other models leaked:\n{text}"
    );
    assert!(
        !text.contains("\n  sonnet-4 "),
        "other pools leaked:\n{text}"
    );
}

#[test]
fn profile_filter_shows_one_profile() {
    let text = stdout(&run_ok(&[
        "tiers",
        "--profile",
        "build",
        "--model",
        "claude-haiku-4-5",
    ]));
    assert!(text.contains("build — "));
    assert!(!text.contains("tier1 — "));
    assert!(text.contains("5,000,000"));
}

#[test]
fn unknown_model_or_profile_exits_2_with_the_known_names() {
    ratesim()
        .args(["tiers", "--model", "gpt-4o"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown model `gpt-4o`"))
        .stderr(predicate::str::contains("claude-sonnet-4-5"));
    ratesim()
        .args(["tiers", "--profile", "tier9"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("seed-guide-2026/free"));
}
