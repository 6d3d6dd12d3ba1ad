//! The Messages API's shapes on the wire: error bodies, rate-limit headers,
//! the message object, 429 messages.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::model::headers::rfc3339;
use crate::model::{Dimension, LimitHeader, PoolLimits, RateLimitHeaders, Usage};

/// The error `type` Anthropic sends with each status.
pub fn error_type(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 | 405 | 408 | 415 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        _ => "api_error",
    }
}

/// `{"type": "error", "error": {...}, "request_id": ...}` with `request-id`
/// and any extra headers.
pub fn error(status: StatusCode, message: &str, request_id: &str, headers: HeaderMap) -> Response {
    let body = json!({
        "type": "error",
        "error": {"type": error_type(status), "message": message},
        "request_id": request_id,
    });
    let mut r = (status, axum::Json(body)).into_response();
    r.headers_mut().extend(headers);
    insert(r.headers_mut(), "request-id", request_id);
    r
}

/// Sets a header from a string that is known to be valid header text.
pub fn insert(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(HeaderName::from_static(name), v);
    }
}

/// The `anthropic-ratelimit-*` headers.
pub fn limit_headers(h: &RateLimitHeaders, epoch_unix_s: u64) -> HeaderMap {
    let mut out = HeaderMap::new();
    let mut put = |names: [&'static str; 3], l: &Option<LimitHeader>| {
        if let Some(l) = l {
            insert(&mut out, names[0], &l.limit.to_string());
            insert(&mut out, names[1], &l.remaining.to_string());
            insert(&mut out, names[2], &rfc3339(l.reset, epoch_unix_s));
        }
    };
    put(
        [
            "anthropic-ratelimit-requests-limit",
            "anthropic-ratelimit-requests-remaining",
            "anthropic-ratelimit-requests-reset",
        ],
        &h.requests,
    );
    put(
        [
            "anthropic-ratelimit-input-tokens-limit",
            "anthropic-ratelimit-input-tokens-remaining",
            "anthropic-ratelimit-input-tokens-reset",
        ],
        &h.input_tokens,
    );
    put(
        [
            "anthropic-ratelimit-output-tokens-limit",
            "anthropic-ratelimit-output-tokens-remaining",
            "anthropic-ratelimit-output-tokens-reset",
        ],
        &h.output_tokens,
    );
    put(
        [
            "anthropic-ratelimit-tokens-limit",
            "anthropic-ratelimit-tokens-remaining",
            "anthropic-ratelimit-tokens-reset",
        ],
        &h.tokens,
    );
    out
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The 429 message, naming the limit exceeded, in Anthropic's wording.
pub fn rate_limit_message(dim: Dimension, limits: &PoolLimits, pool: &str) -> String {
    let what = match dim {
        Dimension::Rpm => limits
            .rpm
            .map(|l| format!("{} requests per minute", thousands(l))),
        Dimension::Itpm => limits
            .itpm
            .map(|l| format!("{} input tokens per minute", thousands(l))),
        Dimension::Otpm => limits
            .otpm
            .map(|l| format!("{} output tokens per minute", thousands(l))),
        Dimension::Tpm => limits
            .tpm
            .map(|l| format!("{} tokens per minute", thousands(l))),
        Dimension::Concurrency => limits
            .max_concurrent
            .map(|l| format!("{} concurrent requests", thousands(l))),
        Dimension::Acceleration => Some("its acceleration limit (a sharp rise in usage)".into()),
        Dimension::Spend => Some("its monthly spend limit".into()),
    }
    .unwrap_or_else(|| dim.name().to_string());
    format!(
        "This request would exceed your organization's rate limit of {what} (model pool \
         {pool}). For details, refer to: https://docs.claude.com/en/api/rate-limits. You can \
         see the response headers for current usage. Please reduce the prompt length or the \
         maximum tokens requested, or try again later."
    )
}

/// The `usage` object.
pub fn usage(u: &Usage, output_tokens: u64) -> Value {
    json!({
        "input_tokens": u.input_tokens,
        "cache_creation_input_tokens": u.cache_creation_input_tokens,
        "cache_read_input_tokens": u.cache_read_input_tokens,
        "cache_creation": {
            "ephemeral_5m_input_tokens": u.cache_creation_input_tokens - u.cache_creation_1h_input_tokens,
            "ephemeral_1h_input_tokens": u.cache_creation_1h_input_tokens,
        },
        "output_tokens": output_tokens,
        "service_tier": "standard",
    })
}

/// A message object; `content` empty and `stop_reason` null for
/// `message_start`.
pub fn message(
    id: &str,
    model: &str,
    text: Option<&str>,
    stop: Option<&str>,
    usage: Value,
) -> Value {
    let content = match text {
        Some(t) => json!([{"type": "text", "text": t}]),
        None => json!([]),
    };
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": stop,
        "stop_sequence": null,
        "usage": usage,
    })
}

/// Synthetic text of `tokens` words (one token each in spirit; the count
/// reported is `tokens`, whatever a tokenizer would make of it).
pub fn text(tokens: u64, from: u64) -> String {
    const WORDS: [&str; 16] = [
        "lorem", "ipsum", "dolor", "sit", "amet", "rate", "limit", "token", "bucket", "refill",
        "burst", "retry", "after", "header", "pool", "minute",
    ];
    let mut s = String::new();
    for i in from..from + tokens {
        s.push_str(WORDS[(i % WORDS.len() as u64) as usize]);
        s.push(' ');
    }
    s
}

/// A model's display name from its id: `claude-sonnet-4-5` → "Claude Sonnet 4.5".
pub fn display_name(id: &str) -> String {
    let mut words: Vec<String> = Vec::new();
    let mut version: Vec<&str> = Vec::new();
    for part in id.split('-') {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            version.push(part);
        } else {
            if !version.is_empty() {
                words.push(version.join("."));
                version.clear();
            }
            let mut c = part.chars();
            words.push(c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + c.as_str()
            }));
        }
    }
    if !version.is_empty() {
        words.push(version.join("."));
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        assert_eq!(display_name("claude-sonnet-4-5"), "Claude Sonnet 4.5");
        assert_eq!(display_name("claude-3-5-haiku"), "Claude 3.5 Haiku");
        assert_eq!(thousands(30000), "30,000");
        assert_eq!(thousands(999), "999");
        let l = PoolLimits {
            itpm: Some(30_000),
            ..PoolLimits::default()
        };
        assert!(
            rate_limit_message(Dimension::Itpm, &l, "sonnet-4")
                .contains("rate limit of 30,000 input tokens per minute")
        );
        assert_eq!(text(3, 0), "lorem ipsum dolor ");
    }
}
