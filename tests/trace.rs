//! Usage-trace import (`trace:` streams): CSV and JSONL read to the same
//! requests, both timestamp forms, `time_scale` and `volume` with exact
//! counts, per-row model, class and cache tokens, every kind of bad input
//! rejected by `ratesim validate` with exit 2 at `file:line:column`, and the
//! shipped example.

mod common;

use common::cli::{ratesim, validate_in};
use common::fixtures;
use ratesim::engine::SimTime;
use ratesim::report::StrategyResult;
use ratesim::scenario::Scenario;
use ratesim::sim::{self, seed};
use ratesim::workload::{LogicalRequest, StreamGen};

const HEADER: &str = "timestamp,model,class,input_tokens,output_tokens,\
                      cache_read_input_tokens,cache_creation_input_tokens,max_tokens";

/// Four requests: per-row models and classes, cache reads and writes, rows
/// with and without max_tokens, two at the same instant.
const CSV: &str = "\
timestamp,model,class,input_tokens,output_tokens,cache_read_input_tokens,cache_creation_input_tokens,max_tokens
2026-11-02T09:00:00.000Z,claude-sonnet-4-5,,1000,200,0,2600,1024
2026-11-02T09:00:01.500Z,claude-haiku-4-5,background,600,40,,,256

2026-11-02T09:00:04.250Z,claude-sonnet-4-5-20250929,interactive,800,150,2600,0,
2026-11-02T09:00:04.250Z,,,500,5000,0,0,
";

/// The same four requests as JSONL: other offsets and precisions, usage
/// fields nested under `usage` (with the fields ratesim ignores), nulls.
const JSONL: &str = r#"{"timestamp":"2026-11-02T10:00:00+01:00","model":"claude-sonnet-4-5","input_tokens":1000,"output_tokens":200,"cache_read_input_tokens":0,"cache_creation_input_tokens":2600,"max_tokens":1024}
{"timestamp":"2026-11-02T09:00:01.5Z","model":"claude-haiku-4-5","class":"background","usage":{"input_tokens":600,"output_tokens":40,"service_tier":"standard"},"max_tokens":256}

{"timestamp":"2026-11-02t09:00:04.250000z","model":"claude-sonnet-4-5","class":"interactive","usage":{"input_tokens":800,"output_tokens":150,"cache_read_input_tokens":2600,"cache_creation_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0}}}
{"timestamp":"2026-11-02T09:00:04.25Z","input_tokens":500,"output_tokens":5000,"class":null,"max_tokens":null}
"#;

/// The same times as Unix seconds (09:00:00Z is 1793610000).
const CSV_SECONDS: &str = "\
input_tokens,output_tokens,timestamp,model,class,cache_read_input_tokens,cache_creation_input_tokens,max_tokens
1000,200,1793610000,claude-sonnet-4-5,,0,2600,1024
600,40,1793610001.5,claude-haiku-4-5,background,0,0,256
800,150,1793610004.250,claude-sonnet-4-5,interactive,2600,0,
500,5000,1793610004.25,,,0,0,
";

/// And as JSON numbers counted from zero.
const JSONL_SECONDS: &str = r#"{"timestamp":0,"model":"claude-sonnet-4-5","input_tokens":1000,"output_tokens":200,"cache_creation_input_tokens":2600,"max_tokens":1024}
{"timestamp":1.5,"model":"claude-haiku-4-5","class":"background","input_tokens":600,"output_tokens":40,"max_tokens":256}
{"timestamp":4.25,"model":"claude-sonnet-4-5","class":"interactive","input_tokens":800,"output_tokens":150,"cache_read_input_tokens":2600}
{"timestamp":"4.25","input_tokens":500,"output_tokens":5000}
"#;

/// A scenario replaying `trace`; `extra` adds stream fields (indented).
fn scenario_yaml(trace: &str, extra: &str, duration: &str) -> String {
    format!(
        "name: t
duration: {duration}
classes: [interactive, background]
streams:
  - name: s
    model: claude-sonnet-4-5
    class: interactive
    trace: {trace}
    max_tokens: 4096
    deadline: 2m
{extra}strategies: [exponential_backoff, header_driven]
"
    )
}

/// Writes `traces/NAME` and `s.yaml` into a fresh directory.
fn setup(name: &str, trace: &str, yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("traces")).unwrap();
    std::fs::write(dir.path().join("traces").join(name), trace).unwrap();
    std::fs::write(dir.path().join("s.yaml"), yaml).unwrap();
    dir
}

fn load_with(name: &str, trace: &str, extra: &str, duration: &str) -> Scenario {
    let yaml = scenario_yaml(&format!("traces/{name}"), extra, duration);
    let dir = setup(name, trace, &yaml);
    fixtures::load(dir.path().join("s.yaml"))
}

fn load(name: &str, trace: &str) -> Scenario {
    load_with(name, trace, "", "1h")
}

/// Every logical request the scenario's streams produce, as a run sees them.
fn requests(s: &Scenario) -> Vec<LogicalRequest> {
    let mut out = Vec::new();
    for (i, spec) in s.sim.streams.iter().enumerate() {
        let mut g = StreamGen::new(
            i as u16,
            spec.clone(),
            s.sim.horizon,
            seed::stream(s.sim.seed, &format!("stream/{}/arrivals", spec.name)),
            seed::stream(s.sim.seed, &format!("stream/{}/sizes", spec.name)),
        )
        .unwrap();
        while let Some(r) = g.next_request() {
            out.push(r);
        }
    }
    out
}

fn model_id(s: &Scenario, r: &LogicalRequest) -> String {
    s.sim.provider.models[r.model as usize].id.clone()
}

fn ms(t: SimTime) -> u64 {
    t.as_nanos() / 1_000_000
}

#[test]
fn csv_and_jsonl_read_to_the_same_requests() {
    let csv = load("t.csv", CSV);
    let jsonl = load("t.jsonl", JSONL);
    let a = requests(&csv);
    assert_eq!(a.len(), 4);
    assert_eq!(a, requests(&jsonl));
    assert_eq!(csv.sim.provider.models, jsonl.sim.provider.models);
    // The whole simulated outcome is the same too.
    for spec in &csv.strategies {
        let x = StrategyResult::new(&csv, spec, &sim::run(&csv.sim, spec).unwrap());
        let y = StrategyResult::new(&jsonl, spec, &sim::run(&jsonl.sim, spec).unwrap());
        assert_eq!(
            serde_json::to_string(&x).unwrap(),
            serde_json::to_string(&y).unwrap()
        );
    }
}

#[test]
fn rows_keep_their_sizes_cache_tokens_model_and_class() {
    let s = load("t.csv", CSV);
    let r = requests(&s);
    let (interactive, background) = (0, 1);
    // Row 1: the stream's class (its cell is empty), a cache write.
    assert_eq!(model_id(&s, &r[0]), "claude-sonnet-4-5");
    assert_eq!(r[0].class, interactive);
    assert_eq!(
        (
            r[0].input_tokens,
            r[0].output_tokens,
            r[0].cache_read_tokens,
            r[0].cache_write_tokens,
            r[0].max_tokens
        ),
        (1000, 200, 0, 2600, 1024)
    );
    assert!(r[0].prefix.is_none());
    // Row 2: its own model (which joins the scenario) and class.
    assert_eq!(model_id(&s, &r[1]), "claude-haiku-4-5");
    assert_eq!(r[1].class, background);
    assert_eq!((r[1].cache_read_tokens, r[1].cache_write_tokens), (0, 0));
    assert_eq!(r[1].max_tokens, 256);
    // Row 3: a dated model id, a cache read, no max_tokens (the stream's).
    assert_eq!(model_id(&s, &r[2]), "claude-sonnet-4-5");
    assert_eq!((r[2].cache_read_tokens, r[2].cache_write_tokens), (2600, 0));
    assert_eq!(r[2].max_tokens, 4096);
    // Row 4: no model or class (the stream's); max_tokens raised to the
    // recorded output.
    assert_eq!(model_id(&s, &r[3]), "claude-sonnet-4-5");
    assert_eq!(r[3].class, interactive);
    assert_eq!((r[3].output_tokens, r[3].max_tokens), (5000, 5000));
    // The stream's deadline applies from each arrival.
    for x in &r {
        assert_eq!(x.deadline, Some(x.arrival + SimTime::from_secs(120)));
    }
    let ids: Vec<&str> = s
        .sim
        .provider
        .models
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    assert_eq!(ids, ["claude-sonnet-4-5", "claude-haiku-4-5"]);
    assert_eq!(s.pool_names, ["sonnet-4", "haiku-4-5"]);

    // Replayed, the cache tokens are billed as recorded.
    let spec = &s.strategies[0];
    let res = StrategyResult::new(&s, spec, &sim::run(&s.sim, spec).unwrap());
    assert_eq!(res.total.succeeded, 4);
    assert_eq!(res.cache.read_tokens, 2600);
    assert_eq!(res.cache.write_tokens, 2600);
    assert_eq!(res.by_class["background"].requests, 1);
    assert_eq!(res.by_class["interactive"].requests, 3);
}

#[test]
fn rfc3339_and_seconds_give_the_same_times() {
    let want = [0, 1500, 4250, 4250];
    for (name, text) in [
        ("t.csv", CSV),
        ("t.jsonl", JSONL),
        ("s.csv", CSV_SECONDS),
        ("s.jsonl", JSONL_SECONDS),
    ] {
        let s = load(name, text);
        let r = requests(&s);
        let got: Vec<u64> = r.iter().map(|x| ms(x.arrival)).collect();
        assert_eq!(got, want, "{name}");
        assert_eq!(r, requests(&load("t.csv", CSV)), "{name}");
    }
}

/// A trace of `n` rows one second apart (seconds from zero).
fn steady(n: u64) -> String {
    let mut t = String::from(HEADER);
    t.push('\n');
    for i in 0..n {
        t.push_str(&format!("{i},claude-sonnet-4-5,,100,10,0,0,64\n"));
    }
    t
}

fn with_options(options: &str, duration: &str) -> Vec<LogicalRequest> {
    let s = load_with(
        "steady.csv",
        &steady(100),
        &format!("    trace_options: {options}\n"),
        duration,
    );
    requests(&s)
}

#[test]
fn time_scale_divides_every_gap() {
    let arrivals = |o: &str| -> Vec<u64> {
        with_options(o, "1h")
            .iter()
            .map(|r| ms(r.arrival))
            .collect()
    };
    let one: Vec<u64> = (0..100).map(|i| i * 1000).collect();
    assert_eq!(arrivals("{time_scale: 1.0}"), one);
    let fast: Vec<u64> = (0..100).map(|i| i * 500).collect();
    assert_eq!(arrivals("{time_scale: 2}"), fast);
    let slow: Vec<u64> = (0..100).map(|i| i * 4000).collect();
    assert_eq!(arrivals("{time_scale: 0.25}"), slow);
}

#[test]
fn volume_multiplies_requests_exactly() {
    for (options, n) in [
        ("{volume: 1}", 100),
        ("{volume: 2}", 200),
        ("{volume: 1.5}", 150),
        ("{volume: 3.25}", 325),
        ("{volume: 0.5}", 50),
        ("{volume: 0.25}", 25),
        ("{volume: 0.5, time_scale: 2}", 50),
    ] {
        let r = with_options(options, "1h");
        assert_eq!(r.len(), n, "{options}");
        assert!(
            r.windows(2).all(|w| w[0].arrival <= w[1].arrival),
            "{options}"
        );
    }
    // Each row's first replay is at its own time; extra copies fall between
    // it and the next row.
    let r = with_options("{volume: 2}", "1h");
    for (i, pair) in r.chunks(2).enumerate() {
        let row = i as u64 * 1000;
        assert_eq!(ms(pair[0].arrival), row);
        assert!((row..row + 1000).contains(&ms(pair[1].arrival)), "{i}");
    }
    // Thinning keeps whole rows at their recorded times.
    for x in with_options("{volume: 0.5}", "1h") {
        assert_eq!(x.arrival.as_nanos() % 1_000_000_000, 0);
    }
    // Deterministic: the same scenario picks the same rows.
    assert_eq!(
        with_options("{volume: 1.5}", "1h"),
        with_options("{volume: 1.5}", "1h")
    );
}

#[test]
fn arrivals_after_the_duration_are_dropped() {
    // Rows at 0..99 s; a 30 s run keeps t < 30 s.
    assert_eq!(with_options("{volume: 1}", "30s").len(), 30);
    assert_eq!(with_options("{time_scale: 2}", "30s").len(), 60);
    assert_eq!(with_options("{volume: 2}", "30s").len(), 60);
    assert_eq!(with_options("{time_scale: 0.5}", "30s").len(), 15);
}

/// A trace (or scenario) that must be rejected: exit 2, every fragment in
/// the message, no panic.
fn rejected(name: &str, trace: &str, yaml: &str, fragments: &[&str]) {
    let dir = setup(name, trace, yaml);
    let (code, _, stderr) = validate_in(dir.path(), "s.yaml");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for f in fragments {
        assert!(stderr.contains(f), "stderr lacks `{f}`:\n{stderr}");
    }
}

fn rejected_trace(name: &str, trace: &str, fragments: &[&str]) {
    rejected(
        name,
        trace,
        &scenario_yaml(&format!("traces/{name}"), "", "1h"),
        fragments,
    );
}

#[test]
fn bytes_that_are_not_utf8_are_located_in_the_trace() {
    let mut bytes =
        csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,10,10,0,0,64").into_bytes();
    // Latin-1 `é` in the third line's model name.
    let at = bytes.len() - 60;
    bytes.insert(at, 0xe9);
    let dir = setup("t.csv", "", &scenario_yaml("traces/t.csv", "", "1h"));
    std::fs::write(dir.path().join("traces").join("t.csv"), &bytes).unwrap();
    let (code, _, stderr) = validate_in(dir.path(), "s.yaml");
    assert_eq!(code, Some(2), "{stderr}");
    let text = String::from_utf8_lossy(&bytes[..at]);
    let line = text.lines().count();
    let col = text.lines().last().unwrap().chars().count() + 1;
    assert!(
        stderr.contains(&format!(
            "traces/t.csv:{line}:{col}: the trace is not UTF-8 text: byte 0xe9"
        )),
        "{stderr}"
    );
}

fn csv_with_row(row: &str) -> String {
    format!(
        "{HEADER}\n2026-11-02T09:00:00Z,claude-sonnet-4-5,,10,10,0,0,64\n{row}\n\
         2026-11-02T09:10:00Z,claude-sonnet-4-5,,10,10,0,0,64\n"
    )
}

#[test]
fn a_bad_number_names_file_line_and_column() {
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,10,abc,0,0,64"),
        &[
            "traces/t.csv:3:44: output_tokens: expected a whole number, found \"abc\"",
            "3 | 2026-11-02T09:00:01Z",
            "^",
        ],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,-5,10,0,0,64"),
        &[
            "traces/t.csv:3:",
            "input_tokens: expected a whole number, found \"-5\"",
        ],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,10,,0,0,64"),
        &["traces/t.csv:3:", "output_tokens: missing value"],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,10,10,0,0,99999999999"),
        &["traces/t.csv:3:", "max_tokens: 99999999999 is too large"],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,10,100,0,0,64"),
        &[
            "traces/t.csv:3:",
            "output_tokens: 100 is more than this row's max_tokens (64)",
        ],
    );
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": 0, \"input_tokens\": 1, \"output_tokens\": 1}\n\
         {\"timestamp\": 1, \"input_tokens\": 1.5, \"output_tokens\": 1}\n",
        &["traces/t.jsonl:2:18: input_tokens: expected a whole number, found 1.5"],
    );
}

#[test]
fn a_missing_or_unknown_column_is_named() {
    rejected_trace(
        "t.csv",
        "timestamp,input_tokens\n0,10\n",
        &[
            "traces/t.csv:1:1: missing column `output_tokens`",
            "timestamp, input_tokens and output_tokens",
        ],
    );
    rejected_trace(
        "t.csv",
        "timestamp,input_tokens,output_tokens,latency_ms\n0,10,10,250\n",
        &[
            "traces/t.csv:1:38: unknown column `latency_ms`",
            "expected one of timestamp, model, class, input_tokens, output_tokens, \
             cache_read_input_tokens, cache_creation_input_tokens, max_tokens",
        ],
    );
    rejected_trace(
        "t.csv",
        "timestamp,input_tokens,output_tokens,input_tokens\n0,10,10,10\n",
        &["traces/t.csv:1:", "column `input_tokens` appears twice"],
    );
    rejected_trace(
        "t.csv",
        "timestamp,input_tokens,output_tokens\n0,10,10\n1,10\n",
        &[
            "traces/t.csv:3:",
            "expected 3 fields, as in the header, found 2",
        ],
    );
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": 0, \"input_tokens\": 1, \"output_tokens\": 1}\n\
         {\"timestamp\": 1, \"input_tokens\": 1}\n",
        &["traces/t.jsonl:2:1: missing `output_tokens`"],
    );
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": 0, \"input_tokens\": 1, \"output_tokens\": 1, \"stop_reason\": \"end_turn\"}\n",
        &[
            "traces/t.jsonl:1:",
            "unknown field `stop_reason`",
            "expected one of timestamp",
        ],
    );
}

#[test]
fn a_bad_timestamp_is_explained() {
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-13-02T09:00:01Z,claude-sonnet-4-5,,10,10,0,0,64"),
        &[
            "traces/t.csv:3:1: timestamp: expected an RFC 3339 time such as \
             2026-11-02T09:15:03.250Z, or seconds as a number, found \"2026-13-02T09:00:01Z\"",
            "out of range",
        ],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01,claude-sonnet-4-5,,10,10,0,0,64"),
        &["traces/t.csv:3:1: timestamp:", "no time zone"],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("yesterday,claude-sonnet-4-5,,10,10,0,0,64"),
        &["traces/t.csv:3:1: timestamp:", "found \"yesterday\""],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("1793610001,claude-sonnet-4-5,,10,10,0,0,64"),
        &[
            "traces/t.csv:3:1: timestamp: \"1793610001\" is seconds, but the rows before \
             it give RFC 3339 times",
        ],
    );
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": true, \"input_tokens\": 1, \"output_tokens\": 1}\n",
        &["traces/t.jsonl:1:2: timestamp:", "found true"],
    );
}

#[test]
fn an_out_of_order_row_names_both_lines() {
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T08:59:59.999Z,claude-sonnet-4-5,,10,10,0,0,64"),
        &[
            "traces/t.csv:3:1: timestamp: \"2026-11-02T08:59:59.999Z\" is earlier than the \
             row on line 2",
            "sort the trace by timestamp",
        ],
    );
}

#[test]
fn an_unknown_model_or_class_is_named() {
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,gpt-4o,,10,10,0,0,64"),
        &[
            "traces/t.csv:3:22: model: unknown model `gpt-4o`",
            "claude-sonnet-4-5",
        ],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,vip,10,10,0,0,64"),
        &[
            "traces/t.csv:3:40: class: `vip` is not a class of this scenario \
             (interactive, background)",
        ],
    );
}

#[test]
fn malformed_files_are_rejected() {
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": 0, \"input_tokens\": 1, \"output_tokens\": 1}\n{\"timestamp\": 1,\n",
        &["traces/t.jsonl:2:", "expected one JSON object per line"],
    );
    // Columns count characters, not bytes (serde_json's count): `x` is the
    // 30th character and the 34th byte.
    rejected_trace(
        "t.jsonl",
        "{\"class\": \"é💥\", \"timestamp\": x}\n",
        &["traces/t.jsonl:1:30: expected one JSON object per line: expected value"],
    );
    rejected_trace(
        "t.jsonl",
        "[0, 1, 1]\n",
        &["traces/t.jsonl:1:", "expected one JSON object per line"],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,\"claude-sonnet-4-5,,10,10,0,0,64"),
        &["traces/t.csv:3:22: unterminated quoted field"],
    );
    rejected_trace("t.csv", "", &["traces/t.csv: the trace is empty"]);
    rejected_trace("t.csv", HEADER, &["traces/t.csv: the trace has no rows"]);
    rejected_trace(
        "t.txt",
        "x",
        &["s.yaml:8:12: trace `traces/t.txt`: expected a .csv or .jsonl file"],
    );
}

#[test]
fn a_missing_trace_file_is_named() {
    let yaml = scenario_yaml("traces/nope.csv", "", "1h");
    rejected(
        "t.csv",
        CSV,
        &yaml,
        &["s.yaml:8:12: cannot read trace `traces/nope.csv`"],
    );
}

#[test]
fn trace_streams_reject_fields_the_trace_sets() {
    let with = |extra: &str| scenario_yaml("traces/t.csv", extra, "1h");
    rejected(
        "t.csv",
        CSV,
        &with("    arrivals: {poisson: {rate_per_min: 5}}\n"),
        &["s.yaml:11:15:", "replays a trace", "remove `arrivals`"],
    );
    rejected(
        "t.csv",
        CSV,
        &with("    input_tokens: 500\n"),
        &["s.yaml:11:19:", "remove `input_tokens`"],
    );
    rejected(
        "t.csv",
        CSV,
        &with("    prompt_cache: {prefix_tokens: 2000}\n"),
        &["s.yaml:11:", "remove `prompt_cache`"],
    );
    rejected(
        "t.csv",
        CSV,
        &with("    trace_options: {volume: 0}\n"),
        &["s.yaml:11:", "trace_options.volume must be > 0"],
    );
    rejected(
        "t.csv",
        CSV,
        &with("    trace_options: {time_scale: -1}\n"),
        &["s.yaml:11:", "trace_options.time_scale must be > 0"],
    );
    rejected(
        "t.csv",
        CSV,
        &with("    trace_options: {requests: 0}\n"),
        &[
            "s.yaml:11:",
            "trace_options.requests must be between 0.01 and 100",
        ],
    );
    rejected(
        "t.csv",
        CSV,
        &with("    trace_options: {requests: 3, requests_range: [0.5, 2]}\n"),
        &[
            "s.yaml:11:",
            "requests_range must be [low, high]",
            "got [0.5, 2]",
        ],
    );
    rejected(
        "t.csv",
        CSV,
        &with("    trace_options: {speed: 2}\n"),
        &["s.yaml:11:", "unknown field `speed`", "time_scale, volume"],
    );
    // Without a trace, a stream still needs its sizes.
    rejected(
        "t.csv",
        CSV,
        "name: t\nduration: 1h\nstreams:\n  - name: s\n    model: claude-sonnet-4-5\n    \
         arrivals: {poisson: {rate_per_min: 5}}\n    output_tokens: 10\n",
        &[
            "s.yaml:4:11:",
            "stream `s` needs `input_tokens`",
            "or a `trace:`",
        ],
    );
    rejected(
        "t.csv",
        CSV,
        "name: t\nduration: 1h\nstreams:\n  - name: s\n    model: claude-sonnet-4-5\n    \
         arrivals: {poisson: {rate_per_min: 5}}\n    input_tokens: 10\n    output_tokens: 10\n    \
         trace_options: {volume: 2}\n",
        &["s.yaml:9:", "trace_options needs a `trace:`"],
    );
}

fn example() -> Scenario {
    fixtures::load("scenarios/trace-replay.yaml")
}

fn example_results(s: &Scenario) -> Vec<StrategyResult> {
    s.strategies
        .iter()
        .map(|spec| StrategyResult::new(s, spec, &sim::run(&s.sim, spec).unwrap()))
        .collect()
}

fn with_volume(mut s: Scenario, v: f64) -> Scenario {
    s.sim.streams[0].trace.as_mut().unwrap().volume = v;
    s
}

#[test]
fn the_example_trace_fits_tier_1_today() {
    let s = example();
    let t = s.sim.streams[0].trace.as_ref().unwrap();
    assert_eq!(t.trace.rows.len(), 762);
    assert_eq!(t.requests(), 762);
    assert!(t.span() < s.sim.horizon);
    assert_eq!(requests(&s).len(), 762);
    for r in example_results(&s) {
        assert_eq!(r.total.requests, 762, "{}", r.strategy);
        assert_eq!(r.total.failed, 0, "{}", r.strategy);
        assert_eq!(r.total.rate_limited.total, 0, "{}", r.strategy);
        assert_eq!(r.by_class["background"].requests, 130, "{}", r.strategy);
        // The system prompt is read from the cache on all but one chat turn.
        assert_eq!(r.cache.read_tokens, 631 * 2600, "{}", r.strategy);
        assert_eq!(r.cache.write_tokens, 2600, "{}", r.strategy);
    }
}

#[test]
fn the_example_trace_at_volume_1_5_runs_into_otpm() {
    let s = with_volume(example(), 1.5);
    assert_eq!(s.sim.streams[0].trace.as_ref().unwrap().requests(), 1143);
    let n = requests(&s).len();
    assert!((1140..=1143).contains(&n), "{n}");
    let r = example_results(&s);
    let by = |name: &str| r.iter().find(|x| x.strategy == name).unwrap();
    assert!(by("exponential_backoff").total.rate_limited.otpm > 50);
    assert!(by("token_bucket").total.failed > 0);
    let two = example_results(&with_volume(example(), 2.0));
    assert!(two.iter().all(|x| x.total.failed > 0));
}

#[test]
fn the_example_validates_and_simulates_from_the_command_line() {
    let out = ratesim()
        .args(["validate", "scenarios/trace-replay.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("scenarios/trace-replay.yaml: ok (1 stream, 4 strategies)")
    );
    let out = ratesim()
        .args([
            "simulate",
            "scenarios/trace-replay.yaml",
            "--strategy",
            "header_driven",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let r = &v["results"][0];
    assert_eq!(r["requests"], 762, "{r}");
    assert_eq!(r["succeeded"], 762, "{r}");
}

#[test]
fn the_remaining_row_errors_are_located() {
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,10,10,0,0,0"),
        &["traces/t.csv:3:51: max_tokens: must be at least 1"],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row(",claude-sonnet-4-5,,10,10,0,0,64"),
        &["traces/t.csv:3:1: timestamp: missing value, expected an RFC 3339 time or seconds"],
    );
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": 0, \"input_tokens\": 1, \"output_tokens\": 1}\n\
         {\"input_tokens\": 1, \"output_tokens\": 1}\n",
        &["traces/t.jsonl:2:1: missing `timestamp`"],
    );
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": 0, \"model\": 4, \"input_tokens\": 1, \"output_tokens\": 1}\n",
        &["traces/t.jsonl:1:", "model: expected a string, found 4"],
    );
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,\"claude-sonnet-4-5\"x,,10,10,0,0,64"),
        &["traces/t.csv:3:41: expected a comma after the closing quote"],
    );
    // Classes are numbered with a u8 (0: the stream's own).
    let mut many = format!("{HEADER}\n");
    for i in 0..300 {
        many.push_str(&format!(
            "2026-11-02T09:{:02}:{:02}Z,claude-sonnet-4-5,c{i},10,10,0,0,64\n",
            i / 60,
            i % 60
        ));
    }
    rejected_trace(
        "t.csv",
        &many,
        &["traces/t.csv:256:", "class: too many distinct classes"],
    );
}

// ------------------------------------------------- traces from spreadsheets

/// [`CSV`] as a spreadsheet in a decimal-comma locale saves it: semicolons,
/// capitalised headers, CRLF line ends and a trailing row of empty cells.
fn spreadsheet_csv() -> String {
    let mut lines: Vec<String> = CSV.lines().map(|l| l.replace(',', ";")).collect();
    lines[0] = "Timestamp;Model;Class;Input_Tokens;Output_Tokens;\
                Cache_Read_Input_Tokens;Cache_Creation_Input_Tokens;MAX_TOKENS"
        .to_string();
    lines.push(";;;;;;;".to_string());
    lines.push(";;;;;;;".to_string());
    lines.join("\r\n") + "\r\n"
}

#[test]
fn semicolon_separated_files_with_capitalised_headers_read_the_same() {
    let a = requests(&load("t.csv", CSV));
    assert_eq!(requests(&load("t.csv", &spreadsheet_csv())), a);
    // Tabs too, when the header has no comma.
    assert_eq!(requests(&load("t.csv", &CSV.replace(',', "\t"))), a);
}

#[test]
fn trailing_rows_of_empty_cells_are_skipped() {
    let csv = format!("{CSV},,,,,,,\n,,,,,,,\n");
    assert_eq!(
        requests(&load("t.csv", &csv)),
        requests(&load("t.csv", CSV))
    );
}

#[test]
fn quoted_fields_may_hold_newlines_and_errors_after_them_keep_their_line() {
    // An ignored column (`service_tier`) whose quoted cell spans two lines.
    let csv = "timestamp,service_tier,input_tokens,output_tokens\n\
               0,\"standard\n(batch later)\",100,10\n\
               1,standard,100,10\n";
    let s = load("t.csv", csv);
    assert_eq!(requests(&s).len(), 2);
    // Records two and three end on lines 3 and 4: the next is line 5, and
    // its bad cell (after a quoted comma) is at column 14.
    let bad = format!("{csv}2,\"a, b\",100,lots\n");
    rejected_trace(
        "t.csv",
        &bad,
        &["traces/t.csv:5:14: output_tokens: expected a whole number, found \"lots\""],
    );
    // A cell inside a multi-line quoted field is located on its own line.
    let bad = "timestamp,service_tier,input_tokens,output_tokens\n\
               0,\"standard\n\",100,x\n";
    rejected_trace(
        "t.csv",
        bad,
        &["traces/t.csv:3:7: output_tokens: expected a whole number"],
    );
}

#[test]
fn a_near_miss_header_is_suggested() {
    rejected_trace(
        "t.csv",
        "timestamp,input_token,output_tokens\n0,10,10\n",
        &[
            "traces/t.csv:1:11: unknown column `input_token`",
            "did you mean `input_tokens`?",
        ],
    );
    rejected_trace(
        "t.csv",
        "time stamp,input_tokens,output_tokens\n0,10,10\n",
        &["unknown column `time stamp`", "did you mean `timestamp`?"],
    );
    // A one-column header with an unexpected separator says so.
    rejected_trace(
        "t.csv",
        "timestamp|input_tokens|output_tokens\n0|10|10\n",
        &["traces/t.csv:1:1: unknown column `timestamp|input_tokens|output_tokens`"],
    );
}

#[test]
fn rows_after_the_window_are_a_warning_with_their_count() {
    // Rows at 0..99 s; a 30 s run replays 30 of them.
    let s = load_with("steady.csv", &steady(100), "", "30s");
    assert_eq!(requests(&s).len(), 30);
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let w = s.warnings[0].to_string();
    assert!(w.contains("steady.csv: 70 of the trace's 100 rows fall after the simulated window of stream `s` (duration 30s, the trace spans 1m 39s) and are not replayed"), "{w}");
    // At time_scale 2 the rows span 49.5 s: 40 are late.
    let s = load_with(
        "steady.csv",
        &steady(100),
        "    trace_options: {time_scale: 2}\n",
        "30s",
    );
    assert!(
        s.warnings[0]
            .message
            .starts_with("40 of the trace's 100 rows"),
        "{:?}",
        s.warnings
    );
    assert!(load("steady.csv", &steady(100)).warnings.is_empty());
}

#[test]
fn a_rows_max_tokens_above_its_models_maximum_is_rejected() {
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,claude-sonnet-4-5,,10,10,0,0,99999"),
        &[
            "traces/t.csv:3:51: max_tokens: 99999 is more than `claude-sonnet-4-5` can \
             generate: its maximum output is 64000 tokens",
        ],
    );
    // A row without a model goes to the stream's (Sonnet 4.5 here).
    rejected_trace(
        "t.csv",
        &csv_with_row("2026-11-02T09:00:01Z,,,10,10,0,0,70000"),
        &["traces/t.csv:3:34: max_tokens: 70000 is more than `claude-sonnet-4-5`"],
    );
    // Haiku 3.5's is 8,192.
    rejected_trace(
        "t.jsonl",
        "{\"timestamp\": 0, \"model\": \"claude-3-5-haiku\", \"input_tokens\": 1, \
         \"output_tokens\": 1, \"max_tokens\": 8193}\n",
        &["traces/t.jsonl:1:", "maximum output is 8192 tokens"],
    );
}
