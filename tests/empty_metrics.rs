//! A metric with no samples is empty, never 0: a class whose requests all
//! failed has null latencies in JSON, `–` in tables and an empty CSV cell,
//! and an assertion on such a metric fails, saying why.

mod common;

use common::cli::run;

const ALL_FAIL: &str = "tests/fixtures/all_fail_class.yaml";

#[test]
fn latencies_of_a_class_with_no_success_are_empty_in_every_format() {
    let (code, json, err) = run(&["simulate", ALL_FAIL, "--format", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let class = &v["results"][0]["by_class"]["interactive"];
    assert_eq!(class["succeeded"], 0);
    assert!(class["requests"].as_u64().unwrap() > 50);
    for p in ["p50", "p90", "p99", "p999", "max"] {
        assert!(
            class["latency_ms"][p].is_null(),
            "{p}: {}",
            class["latency_ms"]
        );
    }
    // The other class succeeded, so its latencies and the totals are numbers.
    assert!(v["results"][0]["by_class"]["background"]["latency_ms"]["p99"].is_f64());
    assert!(v["results"][0]["latency_ms"]["p99"].is_f64());

    let (_, md, _) = run(&["simulate", ALL_FAIL, "--format", "markdown"]);
    let section = &md[md.find("### interactive").unwrap()..];
    let section = &section[..section.find("\n\n###").unwrap_or(section.len())];
    assert!(
        section.contains("| latency p99 (successes) | – |"),
        "{section}"
    );
    assert!(
        !section.contains("| latency p99 (successes) | 0"),
        "{section}"
    );

    let (_, csv, _) = run(&["simulate", ALL_FAIL, "--format", "csv"]);
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "latency_p99_ms").unwrap();
    let row = csv
        .lines()
        .find(|l| l.split(',').nth(1) == Some("interactive"))
        .unwrap();
    assert_eq!(row.split(',').nth(col), Some(""), "{row}");
}

#[test]
fn an_assertion_on_an_empty_metric_fails_and_says_why() {
    let (code, out, err) = run(&[
        "simulate",
        ALL_FAIL,
        "--assert",
        "by_class.interactive.latency_ms.p99 < 1500",
    ]);
    assert_eq!(code, Some(1), "{out}\n{err}");
    assert!(
        out.contains(
            "FAIL  exponential_backoff: by_class.interactive.latency_ms.p99 < 1500: no value — \
             latency_ms.p99 has no samples (no request of this class succeeded)"
        ),
        "{out}"
    );
    // The same assertion on the class that succeeded is judged on its value.
    let (code, _, err) = run(&[
        "simulate",
        ALL_FAIL,
        "--assert",
        "by_class.background.latency_ms.p99 < 3600000",
    ]);
    assert_eq!(code, Some(0), "{err}");
}
