//! Responses cut short at `max_tokens` (`stop_reason: "max_tokens"`): counted
//! per class among the successes, reported as `truncated` (left out of the
//! JSON when zero) and as a table row that shows only when it fires.

use ratesim::export::to_table;
use ratesim::report::{Report, StrategyResult};
use ratesim::scenario::Scenario;
use ratesim::sim::{self, seed};
use ratesim::workload::StreamGen;

/// Uniform output on 0..=1,999: with `max_tokens` 1,000, the 999 lengths
/// 1,001..=1,999 of 2,000 equally likely ones are cut.
const UNIFORM: &str = "{uniform: {min: 0, max: 1999}}";

/// Two classes on one Sonnet pool: `interactive` wants `long_output` tokens
/// with `max_tokens` 1,024, `background` wants `short_output` with
/// `max_tokens` 1,000.
fn scenario(rpm: u64, deadline: &str, long_output: &str, short_output: &str) -> Scenario {
    let yaml = format!(
        r#"
name: truncation
seed: 11
duration: 20m
drain: 30m
pools:
  sonnet-4: {{rpm: {rpm}, itpm: 100000000, otpm: 100000000}}
latency:
  network_rtt: 50ms
  models:
    claude-sonnet-4-5: {{ttft: 200ms, output_tokens_per_s: 1000}}
classes: [interactive, background]
streams:
  - name: long
    model: claude-sonnet-4-5
    class: interactive
    arrivals: {{poisson: {{rate_per_min: 30}}}}
    input_tokens: 200
    output_tokens: {long_output}
    max_tokens: 1024
    deadline: {deadline}
  - name: short
    model: claude-sonnet-4-5
    class: background
    arrivals: {{poisson: {{rate_per_min: 30}}}}
    input_tokens: 200
    output_tokens: {short_output}
    max_tokens: 1000
strategies: [exponential_backoff]
"#
    );
    Scenario::from_yaml_str("truncation.yaml", &yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn report(s: &Scenario) -> Report {
    let spec = &s.strategies[0];
    let m = sim::run(&s.sim, spec).unwrap();
    Report::new(s, vec![StrategyResult::new(s, spec, &m)])
}

/// Requests of stream `i` whose drawn output exceeds `max_tokens`, counted
/// from the generator as a run seeds it.
fn flagged(s: &Scenario, i: usize) -> (u64, u64) {
    let spec = &s.sim.streams[i];
    let mut g = StreamGen::new(
        i as u16,
        spec.clone(),
        s.sim.horizon,
        seed::stream(s.sim.seed, &format!("stream/{}/arrivals", spec.name)),
        seed::stream(s.sim.seed, &format!("stream/{}/sizes", spec.name)),
    )
    .unwrap();
    let (mut all, mut cut) = (0, 0);
    while let Some(r) = g.next_request() {
        all += 1;
        cut += r.truncated as u64;
    }
    (all, cut)
}

#[test]
fn every_success_of_a_stream_that_wants_more_than_max_tokens_is_truncated() {
    let s = scenario(10_000, "10m", "2000", UNIFORM);
    let r = report(&s);
    let long = &r.results[0].by_class["interactive"];
    // Generous limits: everything succeeds, and every long answer is cut.
    assert!(long.requests > 400, "{}", long.requests);
    assert_eq!(long.succeeded, long.requests);
    assert_eq!(long.truncated, long.requests);
    // Each billed 1,024 output tokens.
    assert_eq!(long.tokens.output, 1024 * long.succeeded);

    let short = &r.results[0].by_class["background"];
    assert_eq!(short.succeeded, short.requests);
    let (all, cut) = flagged(&s, 1);
    assert_eq!((short.requests, short.truncated), (all, cut));
    // Closed form: 999 of the 2,000 equally likely lengths exceed 1,000.
    let p = 999.0 / 2000.0;
    let sd = (p * (1.0 - p) / all as f64).sqrt();
    let share = cut as f64 / all as f64;
    assert!((share - p).abs() < 4.0 * sd, "share {share}, p {p}");

    let total = &r.results[0].total;
    assert_eq!(total.truncated, long.truncated + short.truncated);
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    assert_eq!(json["results"][0]["truncated"], total.truncated);
    assert_eq!(
        json["results"][0]["by_class"]["interactive"]["truncated"],
        long.truncated
    );
    let table = to_table(&r);
    let row = table
        .lines()
        .find(|l| l.starts_with("max_tokens cut"))
        .unwrap_or_else(|| panic!("no truncation row in\n{table}"));
    assert!(row.ends_with(&format!(" {}", total.truncated)), "{row}");
}

#[test]
fn only_successes_count() {
    // 4 RPM for 60 arrivals a minute and a 20 s deadline: most requests of
    // both classes fail, and a failed request is not a truncated response.
    let s = scenario(4, "20s", "2000", UNIFORM);
    let r = report(&s);
    let long = &r.results[0].by_class["interactive"];
    assert!(long.failed > long.requests / 2, "{long:?}");
    assert!(long.succeeded > 0);
    assert_eq!(long.truncated, long.succeeded);
    let short = &r.results[0].by_class["background"];
    let (all, cut) = flagged(&s, 1);
    assert_eq!(short.requests, all);
    assert!(short.failed > short.requests / 2, "{short:?}");
    assert!(short.truncated > 0 && short.truncated <= short.succeeded);
    // Some of the requests that would have been cut failed instead.
    assert!(short.truncated < cut, "{} of {cut}", short.truncated);
}

#[test]
fn reports_without_truncation_leave_it_out() {
    // Output equal to max_tokens fits: not truncated.
    let s = scenario(10_000, "10m", "1024", "1000");
    let r = report(&s);
    let total = &r.results[0].total;
    assert_eq!(total.succeeded, total.requests);
    assert_eq!(
        total.tokens.output,
        1024 * r.results[0].by_class["interactive"].succeeded
            + 1000 * r.results[0].by_class["background"].succeeded
    );
    assert_eq!(total.truncated, 0);
    let json = r.to_json();
    assert!(!json.contains("truncated"), "{json}");
    assert!(!to_table(&r).contains("max_tokens cut"));

    // The same with one class cut: the key appears only where it fired.
    let r = report(&scenario(10_000, "10m", "1025", "1000"));
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let classes = &json["results"][0]["by_class"];
    assert_eq!(
        classes["interactive"]["truncated"],
        classes["interactive"]["succeeded"]
    );
    assert!(classes["background"].get("truncated").is_none());
}
