//! `ratesim import` through the binary: each format's example imports,
//! validates, simulates and plans; the replayed workload carries exactly the
//! input's tokens per model and dimension (computed here independently from
//! the input files); bad input fails with its file and position, exit 2,
//! nothing written; `--out` refuses to overwrite without `--force`.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::cli::run;
use serde_json::Value;

const EX: &str = "examples/import";

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Runs `ratesim import ARGS --out DIR/NAME.yaml` and asserts success.
fn import_ok(dir: &Path, name: &str, args: &[&str]) -> PathBuf {
    let out = dir.join(format!("{name}.yaml"));
    let mut a: Vec<String> = vec!["import".into()];
    a.extend(args.iter().map(|x| x.to_string()));
    a.push("--out".into());
    a.push(s(&out));
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let (code, _, err) = run(&refs);
    assert_eq!(code, Some(0), "import failed: {err}");
    out
}

/// Sums of (uncached, cache read, cache write, output) per model over the
/// trace CSVs an import wrote.
fn trace_totals(dir: &Path, name: &str) -> BTreeMap<String, [u64; 4]> {
    let mut out: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    let tdir = dir.join(format!("{name}.traces"));
    let mut files: Vec<_> = std::fs::read_dir(&tdir)
        .expect("trace dir")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    for f in files {
        let mut r = csv::Reader::from_path(&f).expect("csv");
        let h = r.headers().expect("headers").clone();
        let col = |n: &str| h.iter().position(|x| x == n).expect(n);
        let (m, i, o, cr, cw) = (
            col("model"),
            col("input_tokens"),
            col("output_tokens"),
            col("cache_read_input_tokens"),
            col("cache_creation_input_tokens"),
        );
        for rec in r.records() {
            let rec = rec.expect("row");
            let e = out.entry(rec[m].to_string()).or_default();
            let n = |k: usize| rec[k].parse::<u64>().expect("count");
            e[0] += n(i);
            e[1] += n(cr);
            e[2] += n(cw);
            e[3] += n(o);
        }
    }
    out
}

fn base(model: &str) -> String {
    ratesim::model::catalog::find_model(model)
        .map(|m| m.id.to_string())
        .unwrap_or_else(|| model.to_string())
}

#[test]
fn usage_report_replays_every_token_of_every_bucket() {
    let d = tmp();
    import_ok(
        d.path(),
        "org",
        &[
            "usage-report",
            &format!("{EX}/usage-report/usage-1.json"),
            &format!("{EX}/usage-report/usage-2.json"),
            "--limits",
            &format!("{EX}/rate_limits.json"),
            "--mean-input-tokens",
            "3000",
        ],
    );
    // Independently: the pages' results summed per model (batch included).
    let mut want: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for p in ["usage-1.json", "usage-2.json"] {
        let doc: Value = serde_json::from_str(
            &std::fs::read_to_string(format!("{EX}/usage-report/{p}")).unwrap(),
        )
        .unwrap();
        for b in doc["data"].as_array().unwrap() {
            for r in b["results"].as_array().unwrap() {
                let e = want.entry(base(r["model"].as_str().unwrap())).or_default();
                let n = |v: &Value| v.as_u64().unwrap_or(0);
                e[0] += n(&r["uncached_input_tokens"]);
                e[1] += n(&r["cache_read_input_tokens"]);
                e[2] += n(&r["cache_creation"]["ephemeral_5m_input_tokens"])
                    + n(&r["cache_creation"]["ephemeral_1h_input_tokens"]);
                e[3] += n(&r["output_tokens"]);
            }
        }
    }
    assert_eq!(trace_totals(d.path(), "org"), want);
    let yaml = std::fs::read_to_string(d.path().join("org.yaml")).unwrap();
    // The org's limits, not a tier's; the unmodelled ones are listed.
    assert!(
        yaml.contains("sonnet-4: {rpm: 200, itpm: 200000, otpm: 40000}"),
        "{yaml}"
    );
    assert!(yaml.contains("tokens_per_day"), "{yaml}");
    assert!(
        yaml.contains("mean_input_tokens_per_request = 3000"),
        "{yaml}"
    );
    assert!(yaml.contains("api: batch"), "{yaml}");
}

#[test]
fn request_estimate_divides_bucket_input_by_the_mean() {
    // One bucket: 9,000 input tokens (6,000 uncached + 2,000 read + 1,000
    // written) at 3,000 a request is 3 requests; 100 output tokens shared
    // 34/33/33.
    let d = tmp();
    let page = d.path().join("p.json");
    std::fs::write(
        &page,
        r#"{"data":[{"starting_at":"2026-11-02T09:00:00Z","ending_at":"2026-11-02T09:01:00Z","results":[
        {"uncached_input_tokens":6000,"cache_creation":{"ephemeral_5m_input_tokens":1000,"ephemeral_1h_input_tokens":0},
         "cache_read_input_tokens":2000,"output_tokens":100,"model":"claude-sonnet-4-5","service_tier":"standard"}]}],
         "has_more":false,"next_page":null}"#,
    )
    .unwrap();
    import_ok(
        d.path(),
        "one",
        &["usage-report", &s(&page), "--mean-input-tokens", "3000"],
    );
    let csv = std::fs::read_to_string(d.path().join("one.traces/sonnet-4.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(
        rows,
        [
            "2026-11-02T09:00:10Z,claude-sonnet-4-5,2000,34,667,334,",
            "2026-11-02T09:00:30Z,claude-sonnet-4-5,2000,33,667,333,",
            "2026-11-02T09:00:50Z,claude-sonnet-4-5,2000,33,666,333,",
        ]
    );
}

/// Per model, from the OTLP/JSON example: successful Anthropic spans with
/// the semantic-convention rule (input includes cache reads and writes).
fn otel_expected() -> BTreeMap<String, [u64; 4]> {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(format!("{EX}/otel/traces.json")).unwrap())
            .unwrap();
    let mut want: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for rs in doc["resourceSpans"].as_array().unwrap() {
        for ss in rs["scopeSpans"].as_array().unwrap() {
            for sp in ss["spans"].as_array().unwrap() {
                let attr = |k: &str| {
                    sp["attributes"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .find(|a| a["key"] == k)
                        .map(|a| a["value"].clone())
                };
                let int = |k: &str| {
                    attr(k).map_or(0, |v| {
                        v["intValue"].as_str().unwrap().parse::<u64>().unwrap()
                    })
                };
                if attr("gen_ai.provider.name")
                    .and_then(|v| v["stringValue"].as_str().map(String::from))
                    != Some("anthropic".into())
                    || sp["status"]["code"] == 2
                {
                    continue;
                }
                let model = attr("gen_ai.response.model").unwrap()["stringValue"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let (i, r, w) = (
                    int("gen_ai.usage.input_tokens"),
                    int("gen_ai.usage.cache_read.input_tokens"),
                    int("gen_ai.usage.cache_creation.input_tokens"),
                );
                let e = want.entry(base(&model)).or_default();
                e[0] += i - r - w;
                e[1] += r;
                e[2] += w;
                e[3] += int("gen_ai.usage.output_tokens");
            }
        }
    }
    want
}

#[test]
fn otel_replay_keeps_every_token_and_skips_failed_attempts() {
    let want = otel_expected();
    assert!(want.len() == 2, "example has two models");
    for (name, file) in [("doc", "traces.json"), ("lines", "traces.jsonl")] {
        let d = tmp();
        import_ok(
            d.path(),
            name,
            &["otel", &format!("{EX}/otel/{file}"), "--replay"],
        );
        assert_eq!(trace_totals(d.path(), name), want, "{file}");
    }
}

#[test]
fn litellm_csv_and_json_agree_and_drop_other_providers() {
    let d = tmp();
    // Independently from the CSV: anthropic, success rows; prompt_tokens
    // includes the cache tokens in metadata.usage_object.
    let mut want: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    let mut r = csv::Reader::from_path(format!("{EX}/litellm/spend_logs.csv")).unwrap();
    let h = r.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|x| x == n).unwrap();
    for rec in r.records() {
        let rec = rec.unwrap();
        if &rec[col("custom_llm_provider")] != "anthropic" || &rec[col("status")] != "success" {
            continue;
        }
        let meta: Value = serde_json::from_str(&rec[col("metadata")]).unwrap();
        let rd = meta["usage_object"]["cache_read_input_tokens"]
            .as_u64()
            .unwrap();
        let wr = meta["usage_object"]["cache_creation_input_tokens"]
            .as_u64()
            .unwrap();
        let p: u64 = rec[col("prompt_tokens")].parse().unwrap();
        let e = want.entry(base(&rec[col("model")])).or_default();
        e[0] += p - rd - wr;
        e[1] += rd;
        e[2] += wr;
        e[3] += rec[col("completion_tokens")].parse::<u64>().unwrap();
    }
    import_ok(
        d.path(),
        "c",
        &[
            "litellm",
            &format!("{EX}/litellm/spend_logs.csv"),
            "--replay",
        ],
    );
    import_ok(
        d.path(),
        "j",
        &[
            "litellm",
            &format!("{EX}/litellm/spend_logs.json"),
            "--replay",
        ],
    );
    assert_eq!(trace_totals(d.path(), "c"), want);
    assert_eq!(trace_totals(d.path(), "j"), want);
}

#[test]
fn every_example_validates_simulates_and_plans() {
    let d = tmp();
    let outs = [
        import_ok(
            d.path(),
            "org",
            &[
                "usage-report",
                &format!("{EX}/usage-report/usage-1.json"),
                "--limits",
                &format!("{EX}/rate_limits.json"),
                "--mean-input-tokens",
                "3000",
            ],
        ),
        import_ok(
            d.path(),
            "app",
            &["otel", &format!("{EX}/otel/traces.json")],
        ),
        import_ok(
            d.path(),
            "proxy",
            &["litellm", &format!("{EX}/litellm/spend_logs.csv")],
        ),
    ];
    for o in &outs {
        let (code, _, err) = run(&["validate", &s(o)]);
        assert_eq!(code, Some(0), "{}: {err}", o.display());
        let (code, out, err) = run(&["simulate", &s(o)]);
        assert_eq!(code, Some(0), "{}: {err}", o.display());
        assert!(out.contains("header_driven"), "{out}");
    }
    let (code, out, err) = run(&[
        "plan",
        &s(&outs[1]),
        "--growth",
        "10%/month",
        "--months",
        "12",
    ]);
    assert_eq!(code, Some(0), "plan: {err}");
    assert!(out.contains("month 12"), "{out}");
}

#[test]
fn fitted_otel_scenario_states_the_fit_next_to_the_data() {
    let d = tmp();
    let o = import_ok(
        d.path(),
        "app",
        &["otel", &format!("{EX}/otel/traces.json")],
    );
    let y = std::fs::read_to_string(o).unwrap();
    assert!(y.contains("lognormal") || y.contains("empirical"), "{y}");
    assert!(y.contains("KS distance"), "{y}");
    assert!(y.contains("peak minute"), "{y}");
    assert!(y.contains("prompt_cache"), "{y}");
    for s in [
        "sdk_default",
        "header_driven",
        "token_bucket",
        "priority_queue",
    ] {
        assert!(y.contains(&format!("  - {s}\n")), "{s}");
    }
}

/// Runs an import that must fail: exit 2, stderr contains every `needle`,
/// and nothing was written.
fn import_fails(d: &Path, args: &[&str], needles: &[&str]) {
    let out = d.join("bad.yaml");
    let mut a = vec!["import"];
    a.extend(args);
    let o = s(&out);
    a.extend(["--out", &o]);
    let (code, _, err) = run(&a);
    assert_eq!(code, Some(2), "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: expected `{n}` in: {err}");
    }
    assert!(!out.exists(), "nothing may be written");
    assert!(!d.join("bad.traces").exists(), "nothing may be written");
}

fn write(d: &Path, name: &str, text: &str) -> String {
    let p = d.join(name);
    std::fs::write(&p, text).unwrap();
    s(&p)
}

const BUCKET: &str = r#"{"starting_at":"2026-11-02T09:00:00Z","ending_at":"2026-11-02T09:01:00Z","results":[{"uncached_input_tokens":10,"cache_read_input_tokens":0,"output_tokens":5,"model":"claude-sonnet-4-5"}]}"#;

#[test]
fn bad_usage_reports_name_file_and_position() {
    let d = tmp();
    let p = d.path();
    let malformed = write(p, "m.json", "{\"data\": [\n  {\"starting_at\": }\n]}");
    import_fails(
        p,
        &["usage-report", &malformed, "--mean-input-tokens", "1000"],
        &["m.json", "line 2, column", "malformed JSON"],
    );
    let negative = write(
        p,
        "n.json",
        r#"{"data":[{"starting_at":"2026-11-02T09:00:00Z","ending_at":"2026-11-02T09:01:00Z","results":[{"uncached_input_tokens":10,"output_tokens":-5,"model":"claude-sonnet-4-5"}]}]}"#,
    );
    import_fails(
        p,
        &["usage-report", &negative, "--mean-input-tokens", "1000"],
        &["n.json", "data[0].results[0].output_tokens", "negative"],
    );
    let missing = write(
        p,
        "f.json",
        r#"{"data":[{"starting_at":"2026-11-02T09:00:00Z","ending_at":"2026-11-02T09:01:00Z","results":[{"output_tokens":5}]}]}"#,
    );
    import_fails(
        p,
        &["usage-report", &missing, "--mean-input-tokens", "1000"],
        &["data[0].results[0]", "uncached_input_tokens"],
    );
    let a = write(p, "a.json", &format!("{{\"data\":[{BUCKET}]}}"));
    let b = write(p, "b.json", &format!("{{\"data\":[{BUCKET}]}}"));
    import_fails(
        p,
        &["usage-report", &a, &b, "--mean-input-tokens", "1000"],
        &[
            "b.json",
            "data[0].starting_at",
            "also in",
            "a.json",
            "overlap",
        ],
    );
    let later = BUCKET
        .replace("09:00:00Z", "09:05:00Z")
        .replace("09:01:00Z", "09:06:00Z");
    let order = write(p, "o.json", &format!("{{\"data\":[{later},{BUCKET}]}}"));
    import_fails(
        p,
        &["usage-report", &order, "--mean-input-tokens", "1000"],
        &["o.json", "data[1].starting_at", "out of order"],
    );
    let spans = format!("{EX}/otel/traces.json");
    import_fails(
        p,
        &["usage-report", &spans, "--mean-input-tokens", "1000"],
        &["traces.json", "expected a usage-report page"],
    );
    let other = write(
        p,
        "x.json",
        &format!(
            "{{\"data\":[{}]}}",
            BUCKET.replace("claude-sonnet-4-5", "gpt-4o")
        ),
    );
    import_fails(
        p,
        &["usage-report", &other, "--mean-input-tokens", "1000"],
        &["no Anthropic traffic"],
    );
}

#[test]
fn without_an_estimate_the_default_is_stated_as_an_assumption() {
    let d = tmp();
    let page = write(d.path(), "a.json", &format!("{{\"data\":[{BUCKET}]}}"));
    let out = d.path().join("def.yaml");
    let (code, _, err) = run(&["import", "usage-report", &page, "--out", &s(&out)]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("DEFAULT of 2000"), "{err}");
    let y = std::fs::read_to_string(out).unwrap();
    assert!(y.contains("mean_input_tokens_per_request = 2000"), "{y}");
    assert!(y.contains("DEFAULT of 2000"), "{y}");
}

#[test]
fn bad_spans_and_spend_logs_name_file_and_position() {
    let d = tmp();
    let p = d.path();
    let neg = write(
        p,
        "s.json",
        "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[\n{\"startTimeUnixNano\":\"1\",\"attributes\":[\
         {\"key\":\"gen_ai.provider.name\",\"value\":{\"stringValue\":\"anthropic\"}},\
         {\"key\":\"gen_ai.request.model\",\"value\":{\"stringValue\":\"claude-sonnet-4-5\"}},\
         {\"key\":\"gen_ai.usage.input_tokens\",\"value\":{\"intValue\":\"-3\"}}]}]}]}]}",
    );
    import_fails(
        p,
        &["otel", &neg],
        &[
            "s.json",
            "line 2",
            "resourceSpans[0].scopeSpans[0].spans[0].attributes[gen_ai.usage.input_tokens]",
            "negative",
        ],
    );
    let lines = write(
        p,
        "l.jsonl",
        "{\"resourceSpans\":[]}\n{\"resourceSpans\": [\n",
    );
    import_fails(
        p,
        &["otel", &lines],
        &["l.jsonl", "line 2", "malformed JSON"],
    );
    let none = write(p, "e.jsonl", "{\"resourceSpans\":[]}\n");
    import_fails(p, &["otel", &none], &["no Anthropic traffic"]);
    let csv = write(
        p,
        "c.csv",
        "startTime,model,prompt_tokens\n2026-11-02T09:00:00Z,claude-sonnet-4-5,5\n",
    );
    import_fails(
        p,
        &["litellm", &csv],
        &["c.csv", "line 1", "completion_tokens"],
    );
    let csv = write(
        p,
        "t.csv",
        "startTime,model,prompt_tokens,completion_tokens,custom_llm_provider,status\n\
         2026-11-02T09:00:00Z,claude-sonnet-4-5,5,1,anthropic,success\n\
         yesterday,claude-sonnet-4-5,5,1,anthropic,success\n",
    );
    import_fails(
        p,
        &["litellm", &csv],
        &["t.csv", "line 3, column `startTime`", "RFC 3339"],
    );
}

#[test]
fn out_is_never_overwritten_without_force() {
    let d = tmp();
    let out = d.path().join("app.yaml");
    std::fs::write(&out, "mine").unwrap();
    let file = format!("{EX}/otel/traces.json");
    let (code, _, err) = run(&["import", "otel", &file, "--out", &s(&out)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
    let (code, _, err) = run(&["import", "otel", &file, "--out", &s(&out), "--force"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("# Imported")
    );
}

#[test]
fn committed_imported_scenario_is_what_import_writes() {
    // scenarios/imported-app.yaml is regenerated by this exact command;
    // import is deterministic to the byte.
    let d = tmp();
    import_ok(
        d.path(),
        "imported-app",
        &[
            "otel",
            &format!("{EX}/otel/traces.json"),
            "--replay",
            "--tier",
            "tier1",
        ],
    );
    let got = std::fs::read_to_string(d.path().join("imported-app.yaml")).unwrap();
    assert_eq!(
        got,
        std::fs::read_to_string("scenarios/imported-app.yaml").unwrap()
    );
    for f in ["haiku-4-5.csv", "sonnet-4.csv"] {
        assert_eq!(
            std::fs::read_to_string(d.path().join("imported-app.traces").join(f)).unwrap(),
            std::fs::read_to_string(Path::new("scenarios/imported-app.traces").join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn committed_usage_report_scenario_is_what_import_writes() {
    // scenarios/imported-org.yaml (the input of reports/plan-imported-org/)
    // is regenerated by this exact command.
    let d = tmp();
    import_ok(
        d.path(),
        "imported-org",
        &[
            "usage-report",
            &format!("{EX}/usage-report/usage-1.json"),
            &format!("{EX}/usage-report/usage-2.json"),
            "--limits",
            &format!("{EX}/rate_limits.json"),
        ],
    );
    let got = std::fs::read_to_string(d.path().join("imported-org.yaml")).unwrap();
    assert_eq!(
        got,
        std::fs::read_to_string("scenarios/imported-org.yaml").unwrap()
    );
    for f in ["haiku-4-5.csv", "haiku-4-5-batch.csv", "sonnet-4.csv"] {
        assert_eq!(
            std::fs::read_to_string(d.path().join("imported-org.traces").join(f)).unwrap(),
            std::fs::read_to_string(Path::new("scenarios/imported-org.traces").join(f)).unwrap(),
            "{f}"
        );
    }
}

/// One OTLP/JSON export request (a JSON Lines line) with one span a time.
fn spans_line(times_ns: &[i128], model: &str, input: u64, output: u64) -> String {
    let spans: Vec<Value> = times_ns
        .iter()
        .map(|t| {
            serde_json::json!({
                "startTimeUnixNano": t.to_string(),
                "attributes": [
                    {"key": "gen_ai.provider.name", "value": {"stringValue": "anthropic"}},
                    {"key": "gen_ai.response.model", "value": {"stringValue": model}},
                    {"key": "gen_ai.usage.input_tokens", "value": {"intValue": input.to_string()}},
                    {"key": "gen_ai.usage.output_tokens", "value": {"intValue": output.to_string()}},
                ]
            })
        })
        .collect();
    serde_json::json!({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}).to_string()
}

#[test]
fn two_days_of_spans_fit_a_daily_profile_by_hour() {
    // 2026-11-02 and -03: 10 requests a minute from 09:00 to 17:00 UTC, one
    // a minute otherwise. Mean = (8·60·10 + 16·60·1) / 1440 = 4 a minute;
    // the hourly multipliers are 10/4 = 2.5 in hours 9-16 and 1/4 = 0.25.
    let day0: i128 = 1_793_577_600 * 1_000_000_000; // 2026-11-02T00:00:00Z
    let min = 60_000_000_000i128;
    let mut times = Vec::new();
    for m in 0..2 * 1440i128 {
        let hour = (m % 1440) / 60;
        let n = if (9..17).contains(&hour) { 10 } else { 1 };
        for k in 0..n {
            times.push(day0 + m * min + k * min / n);
        }
    }
    let d = tmp();
    let lines: Vec<String> = times
        .chunks(1000)
        .map(|c| spans_line(c, "claude-haiku-4-5", 500, 50))
        .collect();
    let f = write(d.path(), "two-days.jsonl", &(lines.join("\n") + "\n"));
    let out = import_ok(d.path(), "days", &["otel", &f]);
    let y = std::fs::read_to_string(&out).unwrap();
    let mut want: Vec<&str> = vec!["0.25"; 24];
    for h in want.iter_mut().take(17).skip(9) {
        *h = "2.5";
    }
    let line = format!(
        "diurnal: {{rate_per_min: 4, hourly: [{}]}}",
        want.join(", ")
    );
    assert!(y.contains(&line), "expected `{line}` in:\n{y}");
    assert!(y.contains("start: 2026-11-02 "), "{y}");
    assert!(y.contains("duration: 24h "), "{y}");
    assert!(y.contains("input_tokens: 500 "), "{y}");
    let (code, _, err) = run(&["validate", &s(&out)]);
    assert_eq!(code, Some(0), "{err}");
}

#[test]
fn a_sample_of_spans_sets_the_usage_report_estimate_per_model() {
    // The sample's Sonnet requests average 2,000 input tokens, so a bucket
    // of 10,000 Sonnet input tokens is 5 requests.
    let d = tmp();
    let t0: i128 = 1_793_577_600 * 1_000_000_000;
    let sample = write(
        d.path(),
        "sample.jsonl",
        &(spans_line(&[t0, t0 + 1], "claude-sonnet-4-5", 1500, 10)
            + "\n"
            + &spans_line(&[t0 + 2], "claude-sonnet-4-5", 3000, 10)
            + "\n"),
    );
    let page = write(
        d.path(),
        "p.json",
        &format!(
            "{{\"data\":[{}]}}",
            BUCKET.replace(
                "\"uncached_input_tokens\":10",
                "\"uncached_input_tokens\":10000"
            )
        ),
    );
    import_ok(
        d.path(),
        "est",
        &["usage-report", &page, "--sample", &sample],
    );
    let csv = std::fs::read_to_string(d.path().join("est.traces/sonnet-4.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 5, "{csv}");
    let y = std::fs::read_to_string(d.path().join("est.yaml")).unwrap();
    assert!(y.contains("claude-sonnet-4-5: 2000"), "{y}");
}

#[test]
fn a_file_of_the_wrong_format_says_which_it_looks_like() {
    let d = tmp();
    let p = d.path();
    import_fails(
        p,
        &["usage-report", &format!("{EX}/rate_limits.json")],
        &[
            "rate_limits.json",
            "data[0]",
            "Rate Limits API page",
            "--limits",
        ],
    );
    import_fails(
        p,
        &["litellm", &format!("{EX}/otel/traces.jsonl")],
        &["traces.jsonl", "line 1", "OTLP export"],
    );
    import_fails(
        p,
        &["otel", &format!("{EX}/usage-report/usage-1.json")],
        &["usage-1.json", "resourceSpans"],
    );
    import_fails(
        p,
        &[
            "otel",
            &format!("{EX}/otel/traces.json"),
            "--limits",
            &format!("{EX}/usage-report/usage-1.json"),
        ],
        &["usage-1.json", "data[0]", "usage-report page"],
    );
}

#[test]
fn plan_shows_how_far_the_request_count_estimate_moves_the_answer() {
    // The usage-report import's request count is an estimate: plan projects
    // again with the same tokens in half and twice as many requests. Peak
    // requests a minute must halve and double (each 1-minute bucket's rows
    // are re-cut in place, so a minute's count moves with it, ±1 for the
    // rows straddling a minute), while the token peaks stay put.
    let (code, out, err) = run(&[
        "plan",
        "scenarios/imported-org.yaml",
        "--growth",
        "10%/month",
        "--months",
        "2",
        "--format",
        "json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let p: Value = serde_json::from_str(&out).expect("plan JSON");
    let x = &p["request_estimate"];
    let streams: Vec<&str> = x["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stream"].as_str().unwrap())
        .collect();
    assert_eq!(streams, ["haiku-4-5", "haiku-4-5-batch", "sonnet-4"]);
    let pools = p["projection"][0]["pools"].as_array().unwrap();
    let sonnet = pools
        .iter()
        .position(|q| q["pool"] == "sonnet-4")
        .expect("sonnet-4 pool");
    let peak = |v: &Value, d: usize| v[d].as_f64().unwrap();
    let base = &pools[sonnet]["peak_per_min"];
    let ends = x["ends"].as_array().unwrap();
    assert_eq!(ends[0]["end"], "low");
    assert_eq!(ends[1]["end"], "high");
    for (end, factor) in [(&ends[0], 0.5), (&ends[1], 2.0)] {
        let got = &end["peak_now"][sonnet];
        let want = peak(base, 0) * factor;
        assert!(
            (peak(got, 0) - want).abs() <= 2.0,
            "peak RPM {} at ×{factor}, want {want} ± 2",
            peak(got, 0)
        );
        for d in [1, 2] {
            let rel = peak(got, d) / peak(base, d);
            assert!(
                (0.95..=1.05).contains(&rel),
                "token peak {d} moved ×{rel} at ×{factor}"
            );
        }
    }
}
