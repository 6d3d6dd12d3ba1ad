//! A Messages API request body, checked and measured: which model, how many
//! input tokens (and which prefix is cacheable), `max_tokens`, `stream`.
//!
//! Input tokens are an approximation, stated so that a user can predict
//! them: every text piece counts `ceil(chars / 4)` tokens (at least 1), where
//! the pieces are the `system` text blocks, each message's text (a string
//! content, `text` and `thinking` blocks, the JSON of `tool_use` inputs and
//! `tool_result` contents) and the JSON of each tool definition; any other
//! block (images, documents) counts [`OPAQUE_BLOCK_TOKENS`]. The same count
//! answers `count_tokens`, so what a client is told is what is charged.

use serde_json::{Map, Value};

use crate::model::{CachePrefix, CacheTtl};

/// Tokens charged for a block whose size cannot be read from text (an
/// image or a document): about what a mid-sized image costs.
pub const OPAQUE_BLOCK_TOKENS: u64 = 1_600;

/// At most this many `cache_control` breakpoints per request (Anthropic's
/// documented maximum).
pub const MAX_BREAKPOINTS: usize = 4;

/// A request the server understood.
#[derive(Clone, Debug, PartialEq)]
pub struct MessagesRequest {
    /// The `model` field as sent.
    pub model: String,
    /// `max_tokens` (absent for `count_tokens`).
    pub max_tokens: Option<u64>,
    /// `stream: true`.
    pub stream: bool,
    /// Every input token: cached prefix and the rest.
    pub input_tokens: u64,
    /// The prefix up to the last `cache_control` breakpoint, if any.
    pub prefix: Option<CachePrefix>,
}

/// Why a body was refused (HTTP 400), naming the field by its JSON path.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadRequest(pub String);

fn bad(msg: impl Into<String>) -> BadRequest {
    BadRequest(msg.into())
}

/// Which endpoint the body is for: `count_tokens` takes no `max_tokens`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /v1/messages`.
    Messages,
    /// `POST /v1/messages/count_tokens`.
    CountTokens,
}

/// Parses and checks a request body.
pub fn parse(body: &[u8], endpoint: Endpoint) -> Result<MessagesRequest, BadRequest> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        let what = if e.is_eof() {
            "the body ended early (truncated JSON)"
        } else {
            "the body is not valid JSON"
        };
        bad(format!(
            "{what}: {} at line {} column {}",
            e.to_string().split(" at line ").next().unwrap_or_default(),
            e.line(),
            e.column()
        ))
    })?;
    let Value::Object(obj) = v else {
        return Err(bad("the body must be a JSON object"));
    };
    let model = match obj.get("model") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(_) => return Err(bad("model: expected a non-empty string")),
        None => return Err(bad("model: Field required")),
    };
    let max_tokens = match (endpoint, obj.get("max_tokens")) {
        (Endpoint::CountTokens, _) => None,
        (Endpoint::Messages, None) => return Err(bad("max_tokens: Field required")),
        (Endpoint::Messages, Some(v)) => match v.as_u64() {
            Some(n) if n >= 1 => Some(n),
            _ => return Err(bad("max_tokens: expected an integer >= 1")),
        },
    };
    let stream = match obj.get("stream") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("stream: expected true or false")),
    };
    let mut m = Meter::default();
    if let Some(tools) = obj.get("tools") {
        let Value::Array(tools) = tools else {
            return Err(bad("tools: expected a list"));
        };
        for (i, t) in tools.iter().enumerate() {
            let Value::Object(t) = t else {
                return Err(bad(format!("tools.{i}: expected an object")));
            };
            m.piece(
                &Value::Object(t.clone()),
                json_tokens(&Value::Object(t.clone())),
            );
            m.marker(t, &format!("tools.{i}"))?;
        }
    }
    match obj.get("system") {
        None | Some(Value::Null) => {}
        Some(s @ Value::String(text)) => m.piece(s, text_tokens(text)),
        Some(Value::Array(blocks)) => {
            for (i, b) in blocks.iter().enumerate() {
                m.block(b, &format!("system.{i}"))?;
            }
        }
        Some(_) => return Err(bad("system: expected a string or a list of text blocks")),
    }
    let messages = match obj.get("messages") {
        Some(Value::Array(a)) if !a.is_empty() => a,
        Some(Value::Array(_)) => return Err(bad("messages: at least one message is required")),
        Some(_) => return Err(bad("messages: expected a list")),
        None => return Err(bad("messages: Field required")),
    };
    for (i, msg) in messages.iter().enumerate() {
        let Value::Object(msg) = msg else {
            return Err(bad(format!("messages.{i}: expected an object")));
        };
        match msg.get("role").and_then(Value::as_str) {
            Some("user" | "assistant") => {}
            _ => {
                return Err(bad(format!(
                    "messages.{i}.role: expected \"user\" or \"assistant\""
                )));
            }
        }
        match msg.get("content") {
            Some(c @ Value::String(text)) => m.piece(c, text_tokens(text)),
            Some(Value::Array(blocks)) => {
                for (j, b) in blocks.iter().enumerate() {
                    m.block(b, &format!("messages.{i}.content.{j}"))?;
                }
            }
            Some(_) => {
                return Err(bad(format!(
                    "messages.{i}.content: expected a string or a list of content blocks"
                )));
            }
            None => return Err(bad(format!("messages.{i}.content: Field required"))),
        }
    }
    if m.breakpoints > MAX_BREAKPOINTS {
        return Err(bad(format!(
            "A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {}.",
            m.breakpoints
        )));
    }
    Ok(MessagesRequest {
        model,
        max_tokens,
        stream,
        input_tokens: m.tokens.max(1),
        prefix: m.prefix,
    })
}

/// `ceil(chars / 4)`, at least 1: the stated approximation.
pub fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4).max(1)
}

fn json_tokens(v: &Value) -> u64 {
    text_tokens(&v.to_string())
}

/// Runs through the request in cache order (tools, system, messages),
/// counting tokens and hashing the content up to each breakpoint.
#[derive(Default)]
struct Meter {
    tokens: u64,
    hash: u64,
    breakpoints: usize,
    prefix: Option<CachePrefix>,
}

impl Meter {
    fn piece(&mut self, v: &Value, tokens: u64) {
        self.tokens += tokens;
        self.hash = fnv1a(self.hash, v.to_string().as_bytes());
    }

    fn block(&mut self, b: &Value, path: &str) -> Result<(), BadRequest> {
        let Value::Object(o) = b else {
            return Err(bad(format!("{path}: expected a content block object")));
        };
        let tokens = match o.get("type").and_then(Value::as_str) {
            Some("text") => match o.get("text") {
                Some(Value::String(t)) => text_tokens(t),
                _ => return Err(bad(format!("{path}.text: expected a string"))),
            },
            Some("thinking") => {
                text_tokens(o.get("thinking").and_then(Value::as_str).unwrap_or(""))
            }
            Some("tool_use") => json_tokens(o.get("input").unwrap_or(&Value::Null)),
            Some("tool_result") => match o.get("content") {
                Some(Value::String(t)) => text_tokens(t),
                Some(c) => json_tokens(c),
                None => 1,
            },
            Some(_) => OPAQUE_BLOCK_TOKENS,
            None => return Err(bad(format!("{path}.type: Field required"))),
        };
        // The breakpoint's own key is not content: the same prefix with or
        // without a marker is the same cache entry.
        let mut content = o.clone();
        content.remove("cache_control");
        self.piece(&Value::Object(content), tokens);
        self.marker(o, path)
    }

    fn marker(&mut self, o: &Map<String, Value>, path: &str) -> Result<(), BadRequest> {
        let Some(cc) = o.get("cache_control") else {
            return Ok(());
        };
        if cc.is_null() {
            return Ok(());
        }
        let Some(cc) = cc.as_object() else {
            return Err(bad(format!("{path}.cache_control: expected an object")));
        };
        if cc.get("type").and_then(Value::as_str) != Some("ephemeral") {
            return Err(bad(format!(
                "{path}.cache_control.type: expected \"ephemeral\""
            )));
        }
        let ttl = match cc.get("ttl") {
            None | Some(Value::Null) => CacheTtl::FiveMinutes,
            Some(Value::String(s)) if s == "5m" => CacheTtl::FiveMinutes,
            Some(Value::String(s)) if s == "1h" => CacheTtl::OneHour,
            Some(_) => {
                return Err(bad(format!(
                    "{path}.cache_control.ttl: expected \"5m\" or \"1h\""
                )));
            }
        };
        self.breakpoints += 1;
        self.prefix = Some(CachePrefix {
            key: self.hash,
            tokens: self.tokens,
            ttl,
            // The server decides hit or miss from its cache store.
            forced_hit: None,
        });
        Ok(())
    }
}

/// FNV-1a, continuing from `h` (0 starts a new hash): stable across
/// platforms and Rust versions, so cache keys and seeds are too.
pub fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    let mut h = if h == 0 { 0xcbf2_9ce4_8422_2325 } else { h };
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(s: &str) -> MessagesRequest {
        parse(s.as_bytes(), Endpoint::Messages).unwrap()
    }

    #[test]
    fn counts_chars_over_four_per_piece() {
        // "hello" is 5 chars -> 2 tokens; the system prompt of 8 -> 2.
        let r = parse_ok(
            r#"{"model":"m","max_tokens":10,"system":"12345678",
                "messages":[{"role":"user","content":"hello"}]}"#,
        );
        assert_eq!(r.input_tokens, 4);
        assert!(r.prefix.is_none());
        assert!(!r.stream);
    }

    #[test]
    fn prefix_ends_at_the_last_breakpoint_and_ignores_the_marker() {
        let with = |cc: &str| {
            format!(
                r#"{{"model":"m","max_tokens":10,"stream":true,
                "system":[{{"type":"text","text":"{}"{cc}}}],
                "messages":[{{"role":"user","content":[{{"type":"text","text":"abcd"}}]}}]}}"#,
                "x".repeat(400)
            )
        };
        let r = parse_ok(&with(r#","cache_control":{"type":"ephemeral","ttl":"1h"}"#));
        let p = r.prefix.unwrap();
        assert_eq!((p.tokens, p.ttl), (100, CacheTtl::OneHour));
        assert_eq!(r.input_tokens, 101);
        assert!(r.stream);
        // The same content in another request has the same key.
        let again = parse_ok(&with(r#","cache_control":{"type":"ephemeral"}"#));
        assert_eq!(again.prefix.unwrap().key, p.key);
    }

    #[test]
    fn errors_name_the_field() {
        let err = |s: &str| parse(s.as_bytes(), Endpoint::Messages).unwrap_err().0;
        assert_eq!(
            err(r#"{"model":"m","messages":[]}"#),
            "max_tokens: Field required"
        );
        assert_eq!(
            err(r#"{"model":"m","max_tokens":1,"messages":[{"role":"bot","content":"x"}]}"#),
            "messages.0.role: expected \"user\" or \"assistant\""
        );
        assert!(err(r#"{"model":"m","max_tok"#).starts_with("the body ended early"));
        assert_eq!(err("[1]"), "the body must be a JSON object");
        let five = r#"{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}"#;
        let body = format!(
            r#"{{"model":"m","max_tokens":1,"messages":[{{"role":"user","content":[{}]}}]}}"#,
            [five; 5].join(",")
        );
        assert!(err(&body).contains("maximum of 4 blocks"));
        // count_tokens needs no max_tokens.
        assert!(
            parse(
                br#"{"model":"m","messages":[{"role":"user","content":"x"}]}"#,
                Endpoint::CountTokens
            )
            .is_ok()
        );
    }
}
