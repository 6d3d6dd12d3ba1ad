//! End-to-end tests of the chart and export outputs of `ratesim simulate`:
//! `--format csv`, `--format markdown`, `--timeseries FILE.csv` and the PNG
//! charts that `--out DIR` writes.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::cli::{ratesim, run_ok, stdout};
use common::fixtures::{GOOD, fixture, root};
use serde_json::Value;

/// Two classes, a concurrency cap, 429s on two dimensions and 529s.
const SCENARIO: &str = "tests/fixtures/charts.yaml";
const STRATEGIES: [&str; 3] = ["exponential_backoff", "semaphore", "header_driven"];
const CHARTS: [&str; 8] = [
    "latency-cdf.png",
    "cost-goodput.png",
    "errors.png",
    "utilisation-sonnet-4-rpm.png",
    "utilisation-sonnet-4-itpm.png",
    "utilisation-sonnet-4-otpm.png",
    "utilisation-sonnet-4-concurrency.png",
    "queue-depth.png",
];

fn json_report() -> Value {
    let out = run_ok(&["simulate", SCENARIO, "--format", "json"]);
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// A CSV without quoted fields: header and rows of cells.
fn parse_csv(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("header row")
        .split(',')
        .map(str::to_string)
        .collect();
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    for r in &rows {
        assert_eq!(r.len(), header.len(), "row {r:?} has the header's width");
    }
    (header, rows)
}

/// Where a report CSV column lives in a JSON outcome.
fn json_path(column: &str) -> Vec<&str> {
    let nested = [
        ("failed_", "failures"),
        ("rate_limited_", "rate_limited"),
        ("latency_", "latency_ms"),
        ("tokens_", "tokens"),
    ];
    for (prefix, object) in nested {
        if let Some(rest) = column.strip_prefix(prefix) {
            return vec![object, rest.strip_suffix("_ms").unwrap_or(rest)];
        }
    }
    vec![column]
}

fn number_at(outcome: &Value, column: &str) -> f64 {
    let mut v = outcome;
    for key in json_path(column) {
        v = &v[key];
    }
    // These are left out of the JSON when zero.
    let omitted_when_zero = [
        "throttled_locally",
        "failed_spend_limit",
        "rate_limited_spend",
        "overloaded_mid_stream",
        "failed_shed",
    ];
    if v.is_null() && omitted_when_zero.contains(&column) {
        return 0.0;
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("{column}: no number in the JSON outcome"))
}

#[test]
fn csv_has_a_row_per_strategy_and_class_with_the_json_numbers() {
    let report = json_report();
    let out = run_ok(&["simulate", SCENARIO, "--format", "csv"]);
    let (header, rows) = parse_csv(&stdout(&out));
    assert_eq!(
        header[..14],
        [
            "strategy",
            "class",
            "requests",
            "succeeded",
            "failed",
            "failed_gave_up",
            "failed_deadline",
            "failed_too_large",
            "failed_unfinished",
            "failed_batch_expired",
            "failed_spend_limit",
            "failed_shed",
            "attempts",
            "rate_limited_total"
        ]
    );
    assert!(header.contains(&"latency_p99_ms".to_string()));
    assert!(header.contains(&"cost_usd".to_string()));
    assert!(header.contains(&"goodput_per_min".to_string()));
    // Per strategy, in scenario order: the totals, then each class by name.
    let keys: Vec<(String, String)> = rows.iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let expected: Vec<(String, String)> = STRATEGIES
        .iter()
        .flat_map(|s| {
            ["all", "background", "interactive"]
                .iter()
                .map(move |c| (s.to_string(), c.to_string()))
        })
        .collect();
    assert_eq!(keys, expected);
    let results = report["results"].as_array().expect("results");
    for row in &rows {
        let r = results
            .iter()
            .find(|r| r["strategy"] == row[0].as_str())
            .expect("strategy in JSON");
        let outcome = if row[1] == "all" {
            r
        } else {
            &r["by_class"][&row[1]]
        };
        for (column, cell) in header.iter().zip(row).skip(2) {
            // `slo_attainment` is an empty cell where the JSON has none
            // (this scenario sets no `slo:`).
            if column == "slo_attainment" {
                assert!(cell.is_empty() && outcome[column].is_null(), "{cell:?}");
                continue;
            }
            let csv: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("{column} = {cell:?} is an unformatted number"));
            assert_eq!(
                csv,
                number_at(outcome, column),
                "{} / {} / {column}",
                row[0],
                row[1]
            );
        }
    }
    // The class rows add up to the totals.
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    for chunk in rows.chunks(3) {
        for name in ["requests", "succeeded", "attempts", "rate_limited_total"] {
            let i = col(name);
            let v = |r: &Vec<String>| r[i].parse::<u64>().expect("count");
            assert_eq!(v(&chunk[0]), v(&chunk[1]) + v(&chunk[2]), "{name}");
        }
    }
}

#[test]
fn markdown_is_a_pasteable_report() {
    let out = run_ok(&["simulate", SCENARIO, "--format", "markdown"]);
    let md = stdout(&out);
    for needle in [
        "# ratesim: charts\n",
        "| pool | models | RPM | ITPM | OTPM | max concurrent |",
        "| sonnet-4 | claude-sonnet-4-5 | 50 | 30,000 | 8,000 | 6 |",
        "## Results",
        "| metric | exponential_backoff | semaphore | header_driven |",
        "|---|---:|---:|---:|",
        "| 429 itpm |",
        "| latency p99 (successes) |",
        "## By class",
        "### background",
        "### interactive",
        "## Strategies",
        "- **semaphore**: `queue=fifo",
        "## Assumptions",
    ] {
        assert!(md.contains(needle), "no {needle:?} in:\n{md}");
    }
    // Stdout has no files to point at.
    assert!(!md.contains("## Charts"), "{md}");
    // Every table row has as many cells as its header.
    for block in md.split("\n\n") {
        let rows: Vec<&str> = block.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(first) = rows.first() {
            let cells = first.matches('|').count();
            for r in &rows {
                assert_eq!(r.matches('|').count(), cells, "ragged row {r:?}");
            }
        }
    }
}

/// The timeseries CSV of the test scenario, and its JSON report.
fn timeseries(dir: &Path) -> (Vec<String>, Vec<Vec<String>>, Value) {
    let path = dir.join("series.csv");
    let out = run_ok(&[
        "simulate",
        SCENARIO,
        "--format",
        "json",
        "--timeseries",
        path.to_str().expect("UTF-8 path"),
    ]);
    let report: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let text = std::fs::read_to_string(&path).expect("timeseries written");
    let (header, rows) = parse_csv(&text);
    (header, rows, report)
}

#[test]
fn timeseries_sums_match_the_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (header, rows, report) = timeseries(dir.path());
    assert_eq!(
        header,
        [
            "strategy",
            "pool",
            "t_start_s",
            "bucket_s",
            "attempts",
            "requests",
            "input_tokens",
            "output_tokens",
            "in_flight_peak",
            "rate_limited_rpm",
            "rate_limited_itpm",
            "rate_limited_otpm",
            "rate_limited_tpm",
            "rate_limited_concurrency",
            "rate_limited_acceleration",
            "rate_limited_spend",
            "overloaded",
            "queue_peak",
        ]
    );
    let col = |name: &str| header.iter().position(|h| h == name).expect(name);
    let mut by_strategy: BTreeMap<&str, Vec<&Vec<String>>> = BTreeMap::new();
    for r in &rows {
        assert_eq!(r[1], "sonnet-4");
        by_strategy.entry(r[0].as_str()).or_default().push(r);
    }
    assert_eq!(by_strategy.len(), STRATEGIES.len());
    for result in report["results"].as_array().expect("results") {
        let name = result["strategy"].as_str().expect("name");
        let rows = &by_strategy[name];
        // 900 s + 600 s drain at 1 s buckets: the series covers [0, 1500].
        assert_eq!(rows.len(), 1501, "{name}");
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r[col("bucket_s")], "1");
            assert_eq!(r[col("t_start_s")], i.to_string());
        }
        let sum = |c: &str| -> u64 {
            let i = col(c);
            rows.iter()
                .map(|r| r[i].parse::<u64>().expect("count"))
                .sum()
        };
        let max = |c: &str| -> u64 {
            let i = col(c);
            rows.iter()
                .map(|r| r[i].parse::<u64>().expect("count"))
                .max()
                .unwrap_or(0)
        };
        let n = |v: &Value| v.as_u64().expect("count");
        // Everything finished, so every admitted attempt was answered with
        // its success, and every attempt was admitted or refused.
        assert_eq!(n(&result["failures"]["unfinished"]), 0, "{name}");
        assert_eq!(n(&result["failures"]["too_large"]), 0, "{name}");
        let model = &result["by_model"][0];
        assert_eq!(sum("attempts"), n(&model["attempts"]), "{name}");
        assert_eq!(sum("requests"), n(&model["succeeded"]), "{name}");
        for d in ["rpm", "itpm", "otpm", "tpm", "concurrency", "acceleration"] {
            assert_eq!(
                sum(&format!("rate_limited_{d}")),
                n(&result["rate_limited"][d]),
                "{name} {d}"
            );
        }
        assert_eq!(sum("overloaded"), n(&result["overloaded"]), "{name}");
        let refused: u64 = ["rpm", "itpm", "otpm", "tpm", "concurrency", "acceleration"]
            .iter()
            .map(|d| sum(&format!("rate_limited_{d}")))
            .sum::<u64>()
            + sum("overloaded");
        assert_eq!(sum("attempts"), sum("requests") + refused, "{name}");
        // Billed output tokens are those of the admitted attempts.
        assert_eq!(
            sum("output_tokens"),
            n(&result["tokens"]["output"]),
            "{name}"
        );
        // Peaks agree with the report's and respect the concurrency cap.
        assert_eq!(max("queue_peak"), n(&result["peak_queue"]), "{name}");
        assert!(max("in_flight_peak") <= 6, "{name}");
        assert!(max("in_flight_peak") > 0, "{name}");
    }
}

#[test]
fn timeseries_bucket_count_stays_bounded_on_long_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("long.yaml");
    std::fs::write(
        &scenario,
        "name: long\nseed: 1\nduration: 2d\ndrain: 10m\ntier: tier1\n\
         streams:\n  - name: s\n    model: claude-haiku-4-5\n    \
         arrivals: {poisson: {rate_per_min: 1}}\n    input_tokens: 100\n    \
         output_tokens: 10\nstrategies: [exponential_backoff]\n",
    )
    .expect("write scenario");
    let csv = dir.path().join("long.csv");
    run_ok(&[
        "simulate",
        scenario.to_str().expect("UTF-8"),
        "--timeseries",
        csv.to_str().expect("UTF-8"),
    ]);
    let (header, rows) = parse_csv(&std::fs::read_to_string(&csv).expect("written"));
    let w = header
        .iter()
        .position(|h| h == "bucket_s")
        .expect("bucket_s");
    assert!(rows.len() <= 2_000, "{} buckets", rows.len());
    // 2 days + 10 min in 5-minute buckets.
    assert!(rows.iter().all(|r| r[w] == "300"));
    assert_eq!(rows.len(), 173_400 / 300 + 1);
}

#[test]
fn timeseries_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("series.csv");
    std::fs::write(&path, "keep me").expect("write");
    let p = path.to_str().expect("UTF-8");
    let out = ratesim()
        .args(["simulate", SCENARIO, "--timeseries", p])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "keep me");
    run_ok(&["simulate", SCENARIO, "--timeseries", p, "--force"]);
    assert!(
        std::fs::read_to_string(&path)
            .expect("read")
            .starts_with("strategy,pool,")
    );
}

/// Decodes a PNG: (width, height, RGB bytes).
fn decode(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file)
        .read_info()
        .unwrap_or_else(|e| panic!("{} is not a PNG: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(frame.color_type, png::ColorType::Rgb, "{}", path.display());
    buf.truncate(frame.buffer_size());
    (frame.width, frame.height, buf)
}

fn has_color(rgb: &[u8], c: [u8; 3]) -> bool {
    rgb.chunks(3).any(|p| p == c)
}

#[test]
fn out_writes_pngs_that_decode_embed_and_repeat_byte_for_byte() {
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    for dir in [&a, &b] {
        run_ok(&[
            "simulate",
            SCENARIO,
            "--out",
            dir.path().to_str().expect("UTF-8"),
            "--force",
        ]);
    }
    let md = std::fs::read_to_string(a.path().join("report.md")).expect("report.md");
    assert!(md.contains("## Charts"), "{md}");
    let mut pngs: Vec<String> = std::fs::read_dir(a.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name().into_string().expect("UTF-8"))
        .filter(|n| n.ends_with(".png"))
        .collect();
    pngs.sort();
    let mut expected: Vec<String> = CHARTS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(pngs, expected);
    for name in CHARTS {
        // Embedded by relative link, in the planned order.
        assert!(md.contains(&format!("]({name})")), "{name} not embedded");
        let (w, h, rgb) = decode(&a.path().join(name));
        assert_eq!((w, h), (1200, 700), "{name}");
        // Not blank: black text on white, and some colour.
        assert!(has_color(&rgb, [255, 255, 255]), "{name} has a background");
        assert!(
            rgb.chunks(3)
                .filter(|p| p[0] < 60 && p[1] < 60 && p[2] < 60)
                .count()
                > 2_000,
            "{name} has text"
        );
        assert!(
            rgb.chunks(3).any(|p| p[0] != p[1] || p[1] != p[2]),
            "{name} has colour"
        );
        let bytes_a = std::fs::read(a.path().join(name)).expect("read");
        let bytes_b = std::fs::read(b.path().join(name)).expect("read");
        assert!(bytes_a == bytes_b, "{name} differs between two runs");
    }
    let order: Vec<usize> = CHARTS
        .iter()
        .map(|n| md.find(&format!("]({n})")).expect("embedded"))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "charts in order");
    // The latency CDF draws each strategy in its palette colour.
    let (_, _, rgb) = decode(&a.path().join("latency-cdf.png"));
    for c in [[31, 119, 180], [255, 127, 14], [44, 160, 44]] {
        assert!(has_color(&rgb, c), "latency CDF has a line in {c:?}");
    }
    // The report itself is the same as without --out.
    let json = std::fs::read(a.path().join("report.json")).expect("report.json");
    assert_eq!(
        json,
        run_ok(&["simulate", SCENARIO, "--format", "json"]).stdout
    );
}

#[test]
fn out_refuses_to_overwrite_a_chart_without_force() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("errors.png"), "not mine").expect("write");
    let out = ratesim()
        .args([
            "simulate",
            SCENARIO,
            "--out",
            dir.path().to_str().expect("UTF-8"),
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("errors.png") && err.contains("--force"),
        "{err}"
    );
    // Nothing was written.
    assert!(!dir.path().join("report.json").exists());
    assert!(!dir.path().join("latency-cdf.png").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("errors.png")).expect("read"),
        "not mine"
    );
}

/// A class whose every request fails (a 1 ms deadline no response can
/// meet) beside one that succeeds.
const DOOMED: &str = "\
name: doomed-class
seed: 3
duration: 10m
tier: tier1
classes: [interactive, doomed]
streams:
  - name: chat
    model: claude-sonnet-4-5
    class: interactive
    arrivals: {poisson: {rate_per_min: 10}}
    input_tokens: 500
    output_tokens: 100
  - name: hopeless
    model: claude-sonnet-4-5
    class: doomed
    arrivals: {poisson: {rate_per_min: 5}}
    input_tokens: 500
    output_tokens: 100
    deadline: 1ms
strategies: [exponential_backoff, header_driven]
";

/// Regression: a class whose requests all failed showed `latency p99 0 ms`.
/// A latency with no samples is `null` in JSON, `–` in tables and
/// Markdown and an empty CSV cell; replications and comparisons leave it
/// out instead of averaging in zeros.
#[test]
fn a_class_with_no_successes_has_empty_latencies_not_zero() {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("doomed.yaml");
    std::fs::write(&both, DOOMED).unwrap();
    // The same, with only the doomed stream: its totals are empty too.
    let alone = dir.path().join("alone.yaml");
    let start = DOOMED.find("  - name: chat").unwrap();
    let end = DOOMED.find("  - name: hopeless").unwrap();
    let only = format!("{}{}", &DOOMED[..start], &DOOMED[end..]);
    std::fs::write(&alone, only.replace("[interactive, doomed]", "[doomed]")).unwrap();
    let (both, alone) = (both.to_str().unwrap(), alone.to_str().unwrap());

    let report: Value =
        serde_json::from_slice(&run_ok(&["simulate", both, "--format", "json"]).stdout).unwrap();
    for r in report["results"].as_array().unwrap() {
        let doomed = &r["by_class"]["doomed"];
        assert_eq!(doomed["succeeded"], 0);
        assert!(doomed["failed"].as_u64().unwrap() > 0);
        for p in ["p50", "p90", "p99", "p999", "max"] {
            assert!(doomed["latency_ms"][p].is_null(), "{p}: {doomed}");
            assert!(
                r["by_class"]["interactive"]["latency_ms"][p]
                    .as_f64()
                    .unwrap()
                    > 0.0
            );
        }
    }

    let md = stdout(&run_ok(&["simulate", both, "--format", "markdown"]));
    let doomed = &md[md.find("### doomed").unwrap()..];
    assert!(
        doomed.contains("| latency p99 (successes) | – | – |"),
        "{doomed}"
    );

    let table = stdout(&run_ok(&["simulate", alone]));
    let p99 = table
        .lines()
        .find(|l| l.starts_with("latency p99 (successes) "))
        .unwrap();
    assert_eq!(
        p99.split_whitespace().collect::<Vec<_>>(),
        ["latency", "p99", "(successes)", "–", "–"],
        "{table}"
    );
    assert!(!table.contains("0 ms"), "{table}");

    let (header, rows) = parse_csv(&stdout(&run_ok(&["simulate", both, "--format", "csv"])));
    let col = header.iter().position(|h| h == "latency_p99_ms").unwrap();
    for r in &rows {
        assert_eq!(r[col].is_empty(), r[1] == "doomed", "{r:?}");
    }

    // Replicated: the doomed class stays null; the mean is never 0.
    let reps: Value =
        serde_json::from_slice(&run_ok(&["simulate", both, "-n", "3", "--format", "json"]).stdout)
            .unwrap();
    let r0 = &reps["results"][0];
    assert!(r0["by_class"]["doomed"]["latency_ms"]["p99"].is_null());
    assert!(r0["ci95"].get("by_class.doomed.latency_ms.p99").is_none());
    assert!(r0["latency_ms"]["p99"].as_f64().unwrap() > 0.0);
}

/// `export::render(&result, format)` gives every result type in every
/// format, and for what the binary prints today, the binary's exact bytes.
#[test]
fn every_result_type_renders_every_format() {
    use ratesim::analysis::{plan, replicate, sweep};
    use ratesim::export::replicated::ReplicatedReport;
    use ratesim::export::{Format, REPORT_COLUMNS, Render, render};
    use ratesim::report::{Report, StrategyResult};
    use ratesim::scenario::Scenario;

    let scenario = Scenario::load(&root().join(GOOD)).unwrap();
    let file = GOOD;
    let check_all = |r: &dyn Render| {
        for f in Format::ALL {
            let text = r.render(f).unwrap_or_else(|e| panic!("{e}"));
            assert!(text.ends_with('\n'), "{} as {f}", r.name());
            match f {
                Format::Json => {
                    serde_json::from_str::<Value>(&text).unwrap();
                }
                Format::Markdown => assert!(text.starts_with('#'), "{text}"),
                // parse_csv splits on every comma: quoted fields (the
                // catalogue's sources) are checked by the unit tests.
                Format::Csv if !text.contains('"') => {
                    parse_csv(&text);
                }
                Format::Csv => assert!(text.lines().count() > 1),
                Format::Table => {}
            }
        }
    };

    // simulate
    let results: Vec<StrategyResult> = scenario
        .strategies
        .iter()
        .map(|s| {
            let m = ratesim::sim::run(&scenario.sim, s).unwrap();
            StrategyResult::new(&scenario, s, &m)
        })
        .collect();
    let report = Report::new(&scenario, results);
    check_all(&report);
    for (f, name) in [
        (Format::Table, "table"),
        (Format::Json, "json"),
        (Format::Markdown, "markdown"),
        (Format::Csv, "csv"),
    ] {
        let cli = stdout(&run_ok(&["simulate", file, "--format", name]));
        assert_eq!(render(&report, f).unwrap(), cli, "simulate --format {name}");
    }
    let (header, _) = parse_csv(&render(&report, Format::Csv).unwrap());
    assert_eq!(header, REPORT_COLUMNS);

    // simulate -n 3
    let reps = replicate::run(&scenario, &scenario.strategies, 3, 1, &|| {}).unwrap();
    let firsts = reps.iter().map(|r| r.runs[0].clone()).collect();
    let first = Report::new(&scenario, firsts);
    let replicated = ReplicatedReport {
        report: &first,
        reps: &reps,
        n: 3,
        assertions: &[],
    };
    check_all(&replicated);
    for (f, name) in [(Format::Table, "table"), (Format::Json, "json")] {
        let cli = stdout(&run_ok(&["simulate", file, "-n", "3", "--format", name]));
        assert_eq!(
            render(&replicated, f).unwrap(),
            cli,
            "simulate -n 3 --format {name}"
        );
    }
    let (header, rows) = parse_csv(&render(&replicated, Format::Csv).unwrap());
    assert_eq!(
        header,
        ["strategy", "metric", "mean", "ci95_lo", "ci95_hi", "n"]
    );
    let p99 = rows
        .iter()
        .find(|r| r[0] == "naive_retry" && r[1] == "latency_ms.p99")
        .unwrap();
    let s = replicate::stats(&reps[0].runs)["latency_ms.p99"];
    assert_eq!(p99[2].parse::<f64>().unwrap(), s.mean);
    assert_eq!(p99[5], "3");

    // sweep: the binary's sweep.json, read back.
    let dir = tempfile::tempdir().unwrap();
    let out = run_ok(&[
        "sweep",
        file,
        "--param",
        "streams.chat.rate_per_min=20,40",
        "--param",
        "strategy.exponential_backoff.cap=10s,30s",
        "-n",
        "2",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let sw: sweep::SweepReport =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("sweep.json")).unwrap())
            .unwrap();
    check_all(&sw);
    assert_eq!(render(&sw, Format::Table).unwrap(), stdout(&out));
    let csv = std::fs::read_to_string(dir.path().join("sweep.csv")).unwrap();
    assert_eq!(render(&sw, Format::Csv).unwrap(), csv);
    let md = render(&sw, Format::Markdown).unwrap();
    let rows = md.lines().filter(|l| l.starts_with("| ")).count();
    assert_eq!(rows, 1 + sw.points.len(), "{md}");
    assert_eq!(md.matches("pass, **best**").count(), 1, "{md}");

    // plan
    let steady = fixture("plan-steady.yaml");
    let s = Scenario::load(&root().join(&steady)).unwrap();
    let slo = plan::Slo::of_scenario(&s);
    let p = plan::plan(&s, plan::StrategyChoice::Best, 0.1, 2, slo, &|| {}).unwrap();
    check_all(&p);
    let cli = stdout(&run_ok(&[
        "plan",
        steady.to_str().unwrap(),
        "--growth",
        "10%",
        "--months",
        "2",
    ]));
    assert_eq!(render(&p, Format::Table).unwrap(), cli);
    let (header, rows) = parse_csv(&render(&p, Format::Csv).unwrap());
    assert_eq!(header[..4], ["month", "calendar", "factor", "pool"]);
    assert_eq!(rows.len(), 3 * p.current.len(), "months 0, 1 and 2");

    // tiers
    let c = ratesim::report::catalog::CatalogReport::build(None, None).unwrap();
    check_all(&c);
    assert_eq!(
        render(&c, Format::Table).unwrap(),
        stdout(&run_ok(&["tiers"]))
    );
}
