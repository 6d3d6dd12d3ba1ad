//! The Messages API's shapes on the wire: error bodies, rate-limit headers,
//! the message object, 429 messages.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::Response;
use serde::Serialize;
use serde_json::{Value, json};

use crate::engine::SimTime;
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

/// The error body, its keys in the order `serde_json::Value` writes them
/// (sorted), so the bytes are those of the `json!` it replaces.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
    request_id: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct ErrorDetail<'a> {
    message: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
}

/// A response with a JSON body serialised from `body` (as `axum::Json`
/// does: `content-type: application/json`).
pub fn json_response(status: StatusCode, body: &impl Serialize, capacity: usize) -> Response {
    let mut buf = Vec::with_capacity(capacity);
    match serde_json::to_writer(&mut buf, body) {
        Ok(()) => {
            let mut r = Response::new(Body::from(buf));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => {
            let mut r = Response::new(Body::from(e.to_string()));
            *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            r
        }
    }
}

/// `{"type": "error", "error": {...}, "request_id": ...}`, without the
/// `request-id` header yet: the caller adds its headers, then [`finish`].
pub fn error_body(status: StatusCode, message: &str, request_id: &str) -> Response {
    let body = ErrorBody {
        error: ErrorDetail {
            message,
            kind: error_type(status),
        },
        request_id,
        kind: "error",
    };
    json_response(status, &body, 96 + message.len() + request_id.len())
}

/// Adds the `request-id` header, last.
pub fn finish(mut r: Response, request_id: &str) -> Response {
    insert(r.headers_mut(), "request-id", request_id);
    r
}

/// `{"type": "error", "error": {...}, "request_id": ...}` with `request-id`
/// and any extra headers.
pub fn error(status: StatusCode, message: &str, request_id: &str, headers: HeaderMap) -> Response {
    let mut r = error_body(status, message, request_id);
    r.headers_mut().extend(headers);
    finish(r, request_id)
}

/// Sets a header from a string that is known to be valid header text.
pub fn insert(h: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        h.insert(HeaderName::from_static(name), v);
    }
}

/// Names of the `anthropic-ratelimit-*` headers: limit, remaining, reset
/// for requests, input tokens, output tokens and tokens.
static LIMIT_NAMES: [[HeaderName; 3]; 4] = [
    [
        HeaderName::from_static("anthropic-ratelimit-requests-limit"),
        HeaderName::from_static("anthropic-ratelimit-requests-remaining"),
        HeaderName::from_static("anthropic-ratelimit-requests-reset"),
    ],
    [
        HeaderName::from_static("anthropic-ratelimit-input-tokens-limit"),
        HeaderName::from_static("anthropic-ratelimit-input-tokens-remaining"),
        HeaderName::from_static("anthropic-ratelimit-input-tokens-reset"),
    ],
    [
        HeaderName::from_static("anthropic-ratelimit-output-tokens-limit"),
        HeaderName::from_static("anthropic-ratelimit-output-tokens-remaining"),
        HeaderName::from_static("anthropic-ratelimit-output-tokens-reset"),
    ],
    [
        HeaderName::from_static("anthropic-ratelimit-tokens-limit"),
        HeaderName::from_static("anthropic-ratelimit-tokens-remaining"),
        HeaderName::from_static("anthropic-ratelimit-tokens-reset"),
    ],
];

/// The `anthropic-ratelimit-*` headers.
pub fn limit_headers(h: &RateLimitHeaders, epoch_unix_s: u64) -> HeaderMap {
    let mut out = HeaderMap::new();
    put_limit_headers(&mut out, h, epoch_unix_s);
    out
}

/// Appends the `anthropic-ratelimit-*` headers to `out`.
pub fn put_limit_headers(out: &mut HeaderMap, h: &RateLimitHeaders, epoch_unix_s: u64) {
    let dims: [&Option<LimitHeader>; 4] =
        [&h.requests, &h.input_tokens, &h.output_tokens, &h.tokens];
    for (names, l) in LIMIT_NAMES.iter().zip(dims) {
        if let Some(l) = l {
            out.insert(names[0].clone(), HeaderValue::from(l.limit));
            out.insert(names[1].clone(), HeaderValue::from(l.remaining));
            out.insert(names[2].clone(), rfc3339_value(l.reset, epoch_unix_s));
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` of `epoch_unix_s` plus `t` (whole seconds), as
/// [`crate::model::headers::rfc3339`] writes it, without the `String`s.
pub fn rfc3339_value(t: SimTime, epoch_unix_s: u64) -> HeaderValue {
    let secs = epoch_unix_s + t.as_nanos() / SimTime::NANOS_PER_SEC;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    if year > 9999 {
        // Never in practice; the general formatter handles it.
        return HeaderValue::from_str(&crate::model::headers::rfc3339(t, epoch_unix_s))
            .unwrap_or_else(|_| HeaderValue::from_static("1970-01-01T00:00:00Z"));
    }
    let mut b = *b"0000-00-00T00:00:00Z";
    let mut put = |at: usize, v: u64, width: usize| {
        let mut v = v;
        for i in (0..width).rev() {
            b[at + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, year, 4);
    put(5, month, 2);
    put(8, day, 2);
    put(11, rem / 3_600, 2);
    put(14, rem / 60 % 60, 2);
    put(17, rem % 60, 2);
    HeaderValue::from_bytes(&b).unwrap_or_else(|_| HeaderValue::from_static("1970-01-01T00:00:00Z"))
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

/// A non-streamed reply: the bytes of [`message`] with a text block and
/// [`usage`], written without building a `Value` (keys in the same, sorted
/// order).
#[derive(Serialize)]
pub struct MessageBody<'a> {
    pub content: [TextBlock<'a>; 1],
    pub id: &'a str,
    pub model: &'a str,
    pub role: &'static str,
    pub stop_reason: Option<&'a str>,
    pub stop_sequence: Option<()>,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub usage: UsageBody,
}

/// `{"type": "text", "text": ...}`.
#[derive(Serialize)]
pub struct TextBlock<'a> {
    pub text: &'a str,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// The `usage` object, as [`usage`] writes it.
#[derive(Serialize)]
pub struct UsageBody {
    cache_creation: CacheCreation,
    cache_creation_input_tokens: u64,
    cache_read_input_tokens: u64,
    input_tokens: u64,
    output_tokens: u64,
    service_tier: &'static str,
}

#[derive(Serialize)]
struct CacheCreation {
    ephemeral_1h_input_tokens: u64,
    ephemeral_5m_input_tokens: u64,
}

impl UsageBody {
    pub fn new(u: &Usage, output_tokens: u64) -> UsageBody {
        UsageBody {
            cache_creation: CacheCreation {
                ephemeral_1h_input_tokens: u.cache_creation_1h_input_tokens,
                ephemeral_5m_input_tokens: u.cache_creation_input_tokens
                    - u.cache_creation_1h_input_tokens,
            },
            cache_creation_input_tokens: u.cache_creation_input_tokens,
            cache_read_input_tokens: u.cache_read_input_tokens,
            input_tokens: u.input_tokens,
            output_tokens,
            service_tier: "standard",
        }
    }
}

impl<'a> MessageBody<'a> {
    /// The whole reply of `text` from `model`.
    pub fn new(
        id: &'a str,
        model: &'a str,
        text: &'a str,
        stop: &'a str,
        usage: UsageBody,
    ) -> Self {
        MessageBody {
            content: [TextBlock { text, kind: "text" }],
            id,
            model,
            role: "assistant",
            stop_reason: Some(stop),
            stop_sequence: None,
            kind: "message",
            usage,
        }
    }
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
    let mut s = String::with_capacity(tokens as usize * 7);
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

    #[test]
    fn typed_bodies_write_the_bytes_of_their_values() {
        let u = Usage {
            input_tokens: 12,
            cache_creation_input_tokens: 7,
            cache_creation_1h_input_tokens: 3,
            cache_read_input_tokens: 5,
            ..Usage::default()
        };
        let want = message(
            "msg_1",
            "claude-x",
            Some("a \"b\"\n"),
            Some("end_turn"),
            usage(&u, 9),
        );
        let got = MessageBody::new(
            "msg_1",
            "claude-x",
            "a \"b\"\n",
            "end_turn",
            UsageBody::new(&u, 9),
        );
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
        let r = error_body(StatusCode::TOO_MANY_REQUESTS, "slow \"down\"", "req_1");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        let want = json!({
            "type": "error",
            "error": {"type": "rate_limit_error", "message": "slow \"down\""},
            "request_id": "req_1",
        });
        let body = ErrorBody {
            error: ErrorDetail {
                message: "slow \"down\"",
                kind: "rate_limit_error",
            },
            request_id: "req_1",
            kind: "error",
        };
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
    }

    #[test]
    fn reset_times_match_the_general_formatter() {
        use crate::model::headers::rfc3339;
        // Leap days, century rules, year ends, and a spread of ordinary seconds.
        let epochs = [
            0u64,
            951_782_399,
            951_868_800,
            1_709_251_199,
            1_746_019_870,
            4_107_542_399,
        ];
        for e in epochs {
            for t in [
                0u64, 1, 59, 61, 3_599, 86_399, 86_400, 2_678_400, 31_622_400,
            ] {
                let t = SimTime::from_secs(t);
                assert_eq!(
                    rfc3339_value(t, e).to_str().unwrap(),
                    rfc3339(t, e),
                    "{e} + {t:?}"
                );
            }
        }
        let mut x: u64 = 0x9e37_79b9;
        for _ in 0..10_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let e = x % 8_000_000_000;
            assert_eq!(
                rfc3339_value(SimTime::ZERO, e).to_str().unwrap(),
                rfc3339(SimTime::ZERO, e)
            );
        }
    }
}
