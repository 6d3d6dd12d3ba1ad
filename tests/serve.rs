//! `ratesim serve` over real HTTP: endpoints, headers, errors, the limiter
//! deciding admission, streaming, caching and bad input. Expectations are
//! worked out by hand from the fixture's limits and the stated token rule
//! (`ceil(chars / 4)` per text piece).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::serve::{config, get, post, start};

const MODEL: &str = "claude-sonnet-4-5";

fn body(text: &str, max_tokens: u64) -> String {
    serde_json::json!({
        "model": MODEL,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": text}],
    })
    .to_string()
}

const LIMIT_HEADERS: [&str; 12] = [
    "anthropic-ratelimit-requests-limit",
    "anthropic-ratelimit-requests-remaining",
    "anthropic-ratelimit-requests-reset",
    "anthropic-ratelimit-input-tokens-limit",
    "anthropic-ratelimit-input-tokens-remaining",
    "anthropic-ratelimit-input-tokens-reset",
    "anthropic-ratelimit-output-tokens-limit",
    "anthropic-ratelimit-output-tokens-remaining",
    "anthropic-ratelimit-output-tokens-reset",
    "anthropic-ratelimit-tokens-limit",
    "anthropic-ratelimit-tokens-remaining",
    "anthropic-ratelimit-tokens-reset",
];

#[test]
fn a_message_has_usage_text_and_every_header() {
    let mut cfg = config("serve-small.yaml");
    cfg.output_tokens = Some(50);
    let s = start(cfg);
    // 11 characters -> ceil(11/4) = 3 input tokens.
    let r = post(&s.base, "/v1/messages", &body("hello there", 1000), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    for h in LIMIT_HEADERS {
        assert!(r.header(h).is_some(), "missing {h}");
    }
    assert!(r.header("request-id").unwrap().starts_with("req_"));
    assert_eq!(r.header("anthropic-ratelimit-requests-limit"), Some("6"));
    assert_eq!(
        r.header("anthropic-ratelimit-requests-remaining"),
        Some("4")
    );
    assert_eq!(r.header("anthropic-ratelimit-tokens-limit"), Some("200000"));
    let reset = r.header("anthropic-ratelimit-requests-reset").unwrap();
    assert!(
        reset.ends_with('Z') && reset.len() == 20,
        "RFC 3339: {reset}"
    );
    let v = r.json();
    assert_eq!(v["type"], "message");
    assert_eq!(v["role"], "assistant");
    assert_eq!(v["model"], MODEL);
    assert!(v["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(v["stop_reason"], "end_turn");
    assert_eq!(v["usage"]["input_tokens"], 3);
    assert_eq!(v["usage"]["output_tokens"], 50);
    assert_eq!(v["usage"]["cache_read_input_tokens"], 0);
    assert_eq!(v["usage"]["cache_creation"]["ephemeral_5m_input_tokens"], 0);
    let text = v["content"][0]["text"].as_str().unwrap();
    assert_eq!(text.split_whitespace().count(), 50);
    // max_tokens caps the output and says so.
    let r = post(&s.base, "/v1/messages", &body("hello again", 7), &[]).json();
    assert_eq!(r["usage"]["output_tokens"], 7);
    assert_eq!(r["stop_reason"], "max_tokens");
}

#[test]
fn the_sixth_quick_request_gets_a_429_naming_rpm() {
    let s = start(config("serve-small.yaml"));
    // The bucket holds 6 RPM x 50 s / 60 s = 5 requests.
    for i in 0..5 {
        let r = post(&s.base, "/v1/messages", &body(&format!("q{i}"), 10), &[]);
        assert_eq!(r.status, 200, "request {i}: {}", r.body);
    }
    let r = post(
        &s.base,
        "/v1/messages",
        &body("q5", 10),
        &[("x-stainless-retry-count", "0")],
    );
    assert_eq!(r.status, 429, "{}", r.body);
    // One request refills every 10 s; the bucket is empty now.
    assert_eq!(r.header("retry-after"), Some("10"));
    assert_eq!(r.header("x-should-retry"), Some("true"));
    assert_eq!(r.header("retry-after-ms"), None);
    assert_eq!(
        r.header("anthropic-ratelimit-requests-remaining"),
        Some("0")
    );
    for h in LIMIT_HEADERS {
        assert!(r.header(h).is_some(), "missing {h}");
    }
    let v = r.json();
    assert_eq!(v["type"], "error");
    assert_eq!(v["error"]["type"], "rate_limit_error");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("rate limit of 6 requests per minute"),
        "{v}"
    );
    assert_eq!(v["request_id"].as_str(), r.header("request-id"));
    // The attempt is counted and recorded with the dimension.
    let stats = s.app.stats();
    assert_eq!(stats.totals.ok, 5);
    assert_eq!(stats.totals.rate_limited.0[0], 1);
    let last = stats.recent.last().unwrap();
    assert_eq!(last.attempt.status, 429);
    assert_eq!(last.attempt.dimension.as_deref(), Some("rpm"));
    assert_eq!(last.attempt.retry_after, Some(10));
    assert_eq!(last.attempt.retry_count, Some(0));
}

#[test]
fn count_tokens_agrees_with_what_is_charged_and_the_cache_works() {
    let s = start(config("serve-small.yaml"));
    // A 4,400-character system block marked for caching: 1,100 tokens, above
    // Sonnet 4.5's 1,024 minimum; then "hi" (1 token).
    let req = |text: &str| {
        serde_json::json!({
            "model": MODEL, "max_tokens": 5,
            "system": [{"type": "text", "text": "s".repeat(4400),
                        "cache_control": {"type": "ephemeral"}}],
            "messages": [{"role": "user", "content": text}],
        })
        .to_string()
    };
    let counted = post(&s.base, "/v1/messages/count_tokens", &req("hi"), &[]);
    assert_eq!(counted.status, 200, "{}", counted.body);
    assert_eq!(counted.json()["input_tokens"], 1101);
    let first = post(&s.base, "/v1/messages", &req("hi"), &[]).json();
    assert_eq!(first["usage"]["input_tokens"], 1);
    assert_eq!(first["usage"]["cache_creation_input_tokens"], 1100);
    assert_eq!(
        first["usage"]["cache_creation"]["ephemeral_5m_input_tokens"],
        1100
    );
    assert_eq!(first["usage"]["cache_read_input_tokens"], 0);
    // The first response has finished, so the prefix is warm.
    let second = post(&s.base, "/v1/messages", &req("ho"), &[]).json();
    assert_eq!(second["usage"]["cache_read_input_tokens"], 1100);
    assert_eq!(second["usage"]["cache_creation_input_tokens"], 0);
    assert_eq!(second["usage"]["input_tokens"], 1);
}

#[test]
fn models_list_and_lookup() {
    let s = start(common::serve::config("serve-small.yaml"));
    let v = get(&s.base, "/v1/models").json();
    assert_eq!(v["data"][0]["id"], MODEL);
    assert_eq!(v["data"][0]["type"], "model");
    assert_eq!(v["data"][0]["display_name"], "Claude Sonnet 4.5");
    assert_eq!(v["has_more"], false);
    assert_eq!(v["first_id"], MODEL);
    let one = get(&s.base, "/v1/models/claude-sonnet-4-5-20250929");
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["id"], MODEL);
    let missing = get(&s.base, "/v1/models/claude-nope");
    assert_eq!(missing.status, 404);
    assert_eq!(missing.json()["error"]["type"], "not_found_error");
}

#[test]
fn tier_mode_lists_every_model_of_the_tier() {
    let scenario = ratesim::serve::tier_scenario("tier1").unwrap();
    let cfg = ratesim::serve::ServeConfig::from_scenario(&scenario).unwrap();
    let s = start(cfg);
    let v = get(&s.base, "/v1/models?limit=3").json();
    assert_eq!(v["data"].as_array().unwrap().len(), 3);
    assert_eq!(v["has_more"], true);
    let after = v["last_id"].as_str().unwrap().to_string();
    let next = get(&s.base, &format!("/v1/models?limit=1000&after_id={after}")).json();
    let n = ratesim::model::catalog::MODELS
        .iter()
        .filter(|m| ratesim::model::catalog::tier_limits("tier1", m.pool).is_some())
        .count();
    assert_eq!(3 + next["data"].as_array().unwrap().len(), n);
    // Tier 1's Sonnet limits (anthropic.md §1.4).
    let r = post(&s.base, "/v1/messages", &body("x", 5), &[]);
    assert_eq!(r.header("anthropic-ratelimit-requests-limit"), Some("50"));
    assert_eq!(
        r.header("anthropic-ratelimit-input-tokens-limit"),
        Some("30000")
    );
    assert_eq!(
        r.header("anthropic-ratelimit-output-tokens-limit"),
        Some("8000")
    );
}

#[test]
fn bad_requests_get_anthropic_errors_naming_the_problem() {
    let mut cfg = config("serve-small.yaml");
    cfg.max_body_bytes = 2_000;
    let s = start(cfg);
    let err = |r: &common::serve::Reply| {
        let v = r.json();
        assert_eq!(v["type"], "error");
        assert!(r.header("request-id").is_some());
        (
            r.status,
            v["error"]["type"].as_str().unwrap().to_string(),
            v["error"]["message"].as_str().unwrap().to_string(),
        )
    };
    let agent = common::serve::agent();
    let no_key = agent
        .post(format!("{}/v1/messages", s.base))
        .header("content-type", "application/json")
        .send(body("x", 5))
        .unwrap();
    let no_key = common::serve::Reply {
        status: no_key.status().as_u16(),
        headers: vec![("request-id".into(), "x".into())],
        body: no_key.into_body().read_to_string().unwrap(),
    };
    assert_eq!(err(&no_key).0, 401);
    assert_eq!(err(&no_key).1, "authentication_error");

    let (st, ty, msg) = err(&post(
        &s.base,
        "/v1/messages",
        r#"{"model": "x", "max_tok"#,
        &[],
    ));
    assert_eq!((st, ty.as_str()), (400, "invalid_request_error"));
    assert!(msg.contains("truncated") && msg.contains("column"), "{msg}");
    let (st, _, msg) = err(&post(
        &s.base,
        "/v1/messages",
        r#"{"model": "x", "messages": [{"role": "user", "content": "x"}]}"#,
        &[],
    ));
    assert_eq!((st, msg.as_str()), (400, "max_tokens: Field required"));
    let (st, ty, msg) = err(&post(
        &s.base,
        "/v1/messages",
        &body("x", 5).replace(MODEL, "claude-nope"),
        &[],
    ));
    assert_eq!(
        (st, ty.as_str(), msg.as_str()),
        (404, "not_found_error", "model: claude-nope")
    );
    let (st, ty, _) = err(&post(
        &s.base,
        "/v1/messages",
        &body(&"x".repeat(3000), 5),
        &[],
    ));
    assert_eq!((st, ty.as_str()), (413, "request_too_large"));
    let (st, _, msg) = err(&post(&s.base, "/v1/messages", &body("x", 64_001), &[]));
    assert_eq!(st, 400);
    assert!(msg.contains("64000"), "{msg}");
    let wrong_type = agent
        .post(format!("{}/v1/messages", s.base))
        .header("x-api-key", "k")
        .header("content-type", "text/plain")
        .send(body("x", 5))
        .unwrap();
    assert_eq!(wrong_type.status().as_u16(), 400);
    let r = get(&s.base, "/v1/messages");
    assert_eq!(err(&r).0, 405);
    let r = get(&s.base, "/v2/nothing");
    assert_eq!((err(&r).0, err(&r).1.as_str()), (404, "not_found_error"));
    // None of these reached the limiter.
    assert_eq!(s.app.stats().totals.attempts, 0);
}

/// Writes raw bytes and reads one whole response: its head, then a
/// `content-length` body or a chunked one up to its last chunk (or until
/// the server closes; a read that waits 20 s fails the test).
fn raw(addr: std::net::SocketAddr, bytes: &[u8], close_write: bool) -> String {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.write_all(bytes).unwrap();
    if close_write {
        c.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let s = String::from_utf8_lossy(&out).into_owned();
        if let Some(head_end) = s.find("\r\n\r\n") {
            let head = s[..head_end].to_ascii_lowercase();
            let body = &s[head_end + 4..];
            let done = match head
                .lines()
                .find_map(|l| l.strip_prefix("content-length: "))
            {
                Some(n) => body.len() >= n.trim().parse::<usize>().unwrap(),
                None => body.ends_with("\r\n0\r\n\r\n"),
            };
            if done {
                return s;
            }
        }
        let n = c.read(&mut buf).expect("the server answers within 20 s");
        if n == 0 {
            return s;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn http_post(path: &str, body: &str, extra: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The SSE frames of a response: (event, data).
fn events(resp: &str) -> Vec<(String, serde_json::Value)> {
    let body = resp.split("\r\n\r\n").nth(1).unwrap_or("");
    // Chunked transfer: frames are whole lines; keep event/data pairs.
    let mut out = Vec::new();
    let mut name = None;
    for line in body.lines() {
        if let Some(n) = line.strip_prefix("event: ") {
            name = Some(n.to_string());
        } else if let Some(d) = line.strip_prefix("data: ") {
            out.push((name.take().unwrap(), serde_json::from_str(d).unwrap()));
        }
    }
    out
}

#[test]
fn a_stream_follows_the_documented_event_sequence() {
    let mut cfg = config("serve-small.yaml");
    cfg.output_tokens = Some(30);
    let s = start(cfg);
    let b = body("stream me", 1000).replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"");
    let resp = raw(s.addr, &http_post("/v1/messages", &b, ""), false);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(
        resp.to_lowercase()
            .contains("content-type: text/event-stream")
    );
    assert!(
        resp.to_lowercase()
            .contains("anthropic-ratelimit-requests-remaining: 4")
    );
    let ev = events(&resp);
    let names: Vec<&str> = ev.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        &names[..3],
        ["message_start", "content_block_start", "ping"]
    );
    assert_eq!(
        &names[names.len() - 3..],
        ["content_block_stop", "message_delta", "message_stop"]
    );
    assert_eq!(ev[0].1["message"]["usage"]["output_tokens"], 1);
    assert_eq!(ev[0].1["message"]["usage"]["input_tokens"], 3);
    let text: String = ev
        .iter()
        .filter(|(n, _)| n == "content_block_delta")
        .map(|(_, d)| d["delta"]["text"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(text.split_whitespace().count(), 30);
    let delta = &ev[ev.len() - 2].1;
    assert_eq!(delta["usage"]["output_tokens"], 30);
    assert_eq!(delta["delta"]["stop_reason"], "end_turn");
}

#[test]
fn overloads_before_and_during_a_stream() {
    let mut cfg = config("serve-small.yaml");
    cfg.provider.overload.probability = 1.0;
    let s = start(cfg);
    let r = post(&s.base, "/v1/messages", &body("x", 5), &[]);
    assert_eq!(r.status, 529);
    assert_eq!(r.json()["error"]["type"], "overloaded_error");
    assert_eq!(r.header("x-should-retry"), Some("true"));
    assert_eq!(r.header("retry-after"), None);
    assert!(r.header("anthropic-ratelimit-requests-limit").is_some());

    let mut cfg = config("serve-small.yaml");
    cfg.stream_error_probability = 1.0;
    cfg.output_tokens = Some(20);
    let s = start(cfg);
    let b = body("x", 100).replace("\"max_tokens\"", "\"stream\":true,\"max_tokens\"");
    let resp = raw(s.addr, &http_post("/v1/messages", &b, ""), false);
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    let ev = events(&resp);
    let (name, data) = ev.last().unwrap();
    assert_eq!(name, "error");
    assert_eq!(data["error"]["type"], "overloaded_error");
    assert!(!ev.iter().any(|(n, _)| n == "message_stop"));
    assert_eq!(s.app.stats().totals.stream_errors, 1);
}

#[test]
fn truncated_and_stalled_bodies_do_not_disturb_other_connections() {
    let mut cfg = config("serve-small.yaml");
    cfg.body_timeout = Duration::from_millis(300);
    let s = start(cfg);
    // A client that promises 500 bytes, sends 10 and stalls.
    let mut stalled = TcpStream::connect(s.addr).unwrap();
    stalled
        .write_all(
            b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n\
              content-type: application/json\r\ncontent-length: 500\r\n\r\n{\"model\":",
        )
        .unwrap();
    // Meanwhile another client is served.
    let ok = post(&s.base, "/v1/messages", &body("x", 5), &[]);
    assert_eq!(ok.status, 200);
    // The stalled one gets 408.
    stalled
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut buf = vec![0u8; 4096];
    let n = stalled.read(&mut buf).unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    // A body cut short by the client closing its side: an error, no hang.
    let cut = raw(
        s.addr,
        b"POST /v1/messages HTTP/1.1\r\nhost: x\r\nx-api-key: k\r\n\
          content-type: application/json\r\ncontent-length: 500\r\n\r\n{\"model\":",
        true,
    );
    assert!(cut.is_empty() || cut.starts_with("HTTP/1.1 400"), "{cut}");
    // Garbage instead of HTTP: the connection is refused, the server lives.
    let _ = raw(s.addr, b"\x00\x01garbage\r\n\r\n", true);
    assert_eq!(
        post(&s.base, "/v1/messages", &body("y", 5), &[]).status,
        200
    );
}

#[test]
fn retries_of_one_body_form_one_chain_in_the_record() {
    let s = start(config("serve-small.yaml"));
    for i in 0..5 {
        post(&s.base, "/v1/messages", &body(&format!("fill{i}"), 5), &[]);
    }
    for n in 0..3 {
        let r = post(
            &s.base,
            "/v1/messages",
            &body("same", 5),
            &[("x-stainless-retry-count", &n.to_string())],
        );
        assert_eq!(r.status, 429);
    }
    let recs = s.app.stats().recent;
    let chain: Vec<_> = recs.iter().filter(|r| r.attempt.status == 429).collect();
    assert_eq!(chain.len(), 3);
    assert!(
        chain
            .iter()
            .all(|r| r.attempt.body_hash == chain[0].attempt.body_hash)
    );
    // A rejected attempt still records the output the request would have had.
    assert!(
        chain
            .iter()
            .all(|r| r.output_tokens == chain[0].output_tokens)
    );
    let p = ratesim::serve::retry_pattern(&recs);
    assert_eq!(p.requests, 6);
    assert_eq!(
        p.retries_per_request,
        std::collections::BTreeMap::from([(0, 5), (2, 1)])
    );
    assert_eq!(p.gave_up, 1);
}
