//! Routes and handlers: HTTP in, [`crate::model::Attempt`] to the provider,
//! the answer back in Anthropic's shapes.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_core::Stream;
use rand::RngExt;
use rand::distr::Distribution;
use rand_distr::LogNormal;
use serde_json::json;

use super::record::{AttemptInfo, AttemptRecord};
use super::request::{self, Endpoint, MessagesRequest};
use super::{App, dashboard, sse, wire};
use crate::engine::SimTime;
use crate::model::{Attempt, Status, catalog};
use crate::sim::seed;

const SHOULD_RETRY: HeaderName = HeaderName::from_static("x-should-retry");

pub fn router(app: App) -> Router {
    Router::new()
        .route("/v1/messages", post(messages))
        .route("/v1/messages/count_tokens", post(count_tokens))
        .route("/v1/models", get(list_models))
        .route("/v1/models/{id}", get(get_model))
        .route("/ratesim/stats", get(stats))
        .merge(dashboard::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(app)
}

async fn not_found(State(app): State<App>) -> Response {
    let rid = app.next_id("req_");
    app.core().stats.totals.invalid += 1;
    wire::error(StatusCode::NOT_FOUND, "Not Found", &rid, HeaderMap::new())
}

async fn method_not_allowed(State(app): State<App>) -> Response {
    let rid = app.next_id("req_");
    app.core().stats.totals.invalid += 1;
    wire::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "Method Not Allowed",
        &rid,
        HeaderMap::new(),
    )
}

async fn stats(State(app): State<App>) -> Response {
    axum::Json(app.stats()).into_response()
}

/// Refuses a request without an API key (any non-empty `x-api-key` or
/// `Authorization: Bearer` is accepted).
fn check_auth(headers: &HeaderMap) -> Result<(), &'static str> {
    let key = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.trim().is_empty());
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|v| !v.trim().is_empty());
    if key.is_some() || bearer.is_some() {
        Ok(())
    } else {
        Err("x-api-key header is required")
    }
}

/// Why a body could not be read.
enum BodyError {
    TooLarge(usize),
    Stalled,
    Broken,
}

/// Reads the body up to `limit` bytes, giving up when a chunk takes longer
/// than `stall` (a slow or stuck client holds only its own connection).
async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    stall: Duration,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    let mut stream = body.into_data_stream();
    // A body that arrives in one piece (the usual case) is kept as it is.
    let mut first: Option<Bytes> = None;
    let mut buf = Vec::new();
    loop {
        let next = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx));
        let mut next = pin!(next);
        // Bytes already read need no timer: arm one only when waiting.
        let ready = poll_fn(|cx| Poll::Ready(next.as_mut().poll(cx))).await;
        let item = match ready {
            Poll::Ready(item) => item,
            Poll::Pending => match tokio::time::timeout(stall, next).await {
                Err(_) => return Err(BodyError::Stalled),
                Ok(item) => item,
            },
        };
        match item {
            None => break,
            Some(Err(_)) => return Err(BodyError::Broken),
            Some(Ok(chunk)) => {
                let have = first.as_ref().map_or(0, Bytes::len) + buf.len();
                if have + chunk.len() > limit {
                    return Err(BodyError::TooLarge(limit));
                }
                match first.take() {
                    None if buf.is_empty() => first = Some(chunk),
                    f => {
                        if let Some(f) = f {
                            buf.extend_from_slice(&f);
                        }
                        buf.extend_from_slice(&chunk);
                    }
                }
            }
        }
    }
    Ok(match first {
        Some(f) => f,
        None => Bytes::from(buf),
    })
}

/// Auth, body, content type and parse: the checks both POST endpoints make.
async fn accept(
    app: &App,
    rid: &str,
    headers: &HeaderMap,
    body: Body,
    endpoint: Endpoint,
) -> Result<(MessagesRequest, Bytes), Response> {
    let fail = |status: StatusCode, msg: &str| {
        app.core().stats.totals.invalid += 1;
        wire::error(status, msg, rid, HeaderMap::new())
    };
    check_auth(headers).map_err(|m| fail(StatusCode::UNAUTHORIZED, m))?;
    let cfg = app.config();
    let bytes = read_body(body, headers, cfg.max_body_bytes, cfg.body_timeout)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(n) => fail(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("Request exceeds the maximum allowed number of bytes ({n})."),
            ),
            BodyError::Stalled => fail(
                StatusCode::REQUEST_TIMEOUT,
                "the request body stalled: no bytes arrived for too long",
            ),
            BodyError::Broken => fail(
                StatusCode::BAD_REQUEST,
                "the request body could not be read (connection closed early?)",
            ),
        })?;
    let ctype = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    const JSON: &[u8] = b"application/json";
    let head = ctype.trim_start().as_bytes();
    if !(head.len() >= JSON.len() && head[..JSON.len()].eq_ignore_ascii_case(JSON)) {
        return Err(fail(
            StatusCode::BAD_REQUEST,
            &format!(
                "content-type: expected application/json, got {}",
                if ctype.is_empty() { "none" } else { ctype }
            ),
        ));
    }
    let req = request::parse(&bytes, endpoint).map_err(|e| fail(StatusCode::BAD_REQUEST, &e.0))?;
    Ok((req, bytes))
}

/// The model's index in the provider, by id (date suffixes accepted).
fn model_index(app: &App, id: &str) -> Option<usize> {
    let base = catalog::find_model(id).map_or(id, |m| m.id);
    app.config()
        .provider
        .models
        .iter()
        .position(|m| m.id == base)
}

fn unknown_model(app: &App, rid: &str, model: &str) -> Response {
    app.core().stats.totals.invalid += 1;
    wire::error(
        StatusCode::NOT_FOUND,
        &format!("model: {model}"),
        rid,
        HeaderMap::new(),
    )
}

async fn count_tokens(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    let rid = app.next_id("req_");
    let (req, _) = match accept(&app, &rid, &headers, body, Endpoint::CountTokens).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(m) = model_index(&app, &req.model) else {
        return unknown_model(&app, &rid, &req.model);
    };
    let pool = app.config().provider.models[m].pool;
    let mut r = axum::Json(json!({"input_tokens": req.input_tokens})).into_response();
    if let Some(h) = app.pool_headers(pool) {
        r.headers_mut()
            .extend(wire::limit_headers(&h, app.config().epoch_unix_s));
    }
    wire::insert(r.headers_mut(), "request-id", &rid);
    r
}

async fn messages(State(app): State<App>, request: Request) -> Response {
    let rid = app.next_id("req_");
    // The headers by reference: the `HeaderMap` extractor would copy them.
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let (req, bytes) = match accept(&app, &rid, headers, body, Endpoint::Messages).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let Some(m) = model_index(&app, &req.model) else {
        return unknown_model(&app, &rid, &req.model);
    };
    let cfg = app.config();
    let spec = &cfg.provider.models[m];
    let pool = spec.pool;
    let max_tokens = req.max_tokens.unwrap_or(1);
    if let Some(info) = catalog::find_model(&spec.id)
        && max_tokens > info.max_output_tokens
    {
        app.core().stats.totals.invalid += 1;
        let h = app
            .pool_headers(pool)
            .map(|h| wire::limit_headers(&h, cfg.epoch_unix_s))
            .unwrap_or_default();
        return wire::error(
            StatusCode::BAD_REQUEST,
            &format!(
                "max_tokens: {max_tokens} > {}, which is the maximum allowed number of output \
                 tokens for {}",
                info.max_output_tokens, req.model
            ),
            &rid,
            h,
        );
    }
    // Same body, same draws: a retry asks for the same response, and a run
    // is reproducible whatever the arrival order.
    let body_hash = request::fnv1a(0, &bytes);
    let mut rng = seed::stream(cfg.seed, &format!("serve/request/{body_hash:016x}"));
    let wanted = cfg
        .output_tokens
        .unwrap_or_else(|| cfg.outputs[m].sample(&mut rng))
        .max(1);
    let output = wanted.min(max_tokens);
    let factor = match LogNormal::new(0.0, cfg.latency_noise_sigma) {
        Ok(d) if cfg.latency_noise_sigma > 0.0 => d.sample(&mut rng),
        _ => 1.0,
    };
    let (cached, prefix) = match req.prefix {
        Some(p) => (p.tokens, Some(p)),
        None => (0, None),
    };
    let attempt = Attempt {
        model: m as u16,
        input_tokens: req.input_tokens - cached,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        prefix,
        max_tokens,
        output_tokens: output,
        service_factor: factor,
        workspace: None,
    };
    let retry_count = headers
        .get("x-stainless-retry-count")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    // What the record needs that does not depend on the answer, made
    // before taking the lock.
    let record_model = req.model.clone();
    let record_rid = rid.clone();
    let record_hash = format!("{body_hash:016x}");
    // Judge the attempt and count it, under one lock.
    let (resp, now, broken, pushed_out) = {
        let mut core = app.core();
        let now = core.now(&app.inner.clock);
        let resp = core.provider.handle(now, &attempt);
        let broken = resp.status == Status::Ok
            && req.stream
            && cfg.stream_error_probability > 0.0
            && core.stream_rng.random::<f64>() < cfg.stream_error_probability;
        let finish = resp.received_at.saturating_sub(cfg.provider.network_rtt);
        let usage = resp.usage.unwrap_or_default();
        let (status, dimension) = match resp.status {
            Status::Ok => (200, None),
            Status::RateLimited(d) | Status::TooLarge(d) => (429, Some(d)),
            Status::InvalidRequest(d) => (400, Some(d)),
            Status::Overloaded => (529, None),
        };
        let now_s = now.as_nanos() / SimTime::NANOS_PER_SEC;
        let totals = &mut core.stats.totals;
        match resp.status {
            Status::Ok => totals.ok += 1,
            Status::RateLimited(d) | Status::TooLarge(d) | Status::InvalidRequest(d) => {
                totals.rate_limited.0[d.index()] += 1
            }
            Status::Overloaded => totals.overloaded += 1,
        }
        if broken {
            totals.stream_errors += 1;
        }
        let in_flight: u64 = (0..cfg.pool_names.len())
            .map(|i| core.provider.pool_mut(i).in_flight(now))
            .sum();
        let sec = core.stats.second(now_s);
        sec.in_flight = sec.in_flight.max(in_flight);
        match resp.status {
            Status::Ok => {
                let p = &mut sec.pools[pool];
                p.requests += 1;
                p.input_tokens += usage.input_tokens + usage.cache_creation_input_tokens;
                p.output_tokens += usage.output_tokens;
            }
            Status::RateLimited(d) | Status::TooLarge(d) | Status::InvalidRequest(d) => {
                sec.rate_limited.0[d.index()] += 1
            }
            Status::Overloaded => sec.overloaded += 1,
        }
        if broken {
            sec.overloaded += 1;
        }
        let ok = resp.status == Status::Ok;
        let pushed_out = core.stats.attempt(AttemptRecord {
            timestamp: now.as_secs_f64(),
            model: record_model,
            input_tokens: if ok {
                usage.input_tokens
            } else {
                req.input_tokens
            },
            output_tokens: output,
            cache_read_input_tokens: usage.cache_read_input_tokens,
            cache_creation_input_tokens: usage.cache_creation_input_tokens,
            max_tokens,
            attempt: AttemptInfo {
                request_id: record_rid,
                status,
                dimension: dimension.map(|d| d.name().to_string()),
                retry_after: resp.retry_after_s,
                retry_count,
                latency_ms: if ok {
                    finish.saturating_sub(now).as_secs_f64() * 1000.0
                } else {
                    0.0
                },
                stream: req.stream,
                body_hash: record_hash,
            },
        });
        (resp, now, broken, pushed_out)
    };
    // Freed outside the lock.
    drop(pushed_out);
    let put_limits = |h: &mut HeaderMap| {
        if let Some(l) = &resp.headers {
            wire::put_limit_headers(h, l, cfg.epoch_unix_s);
        }
    };
    match resp.status {
        Status::RateLimited(d) | Status::TooLarge(d) => {
            let retry = resp.status != Status::TooLarge(d);
            let msg = wire::rate_limit_message(d, &cfg.pool_limits(pool), &cfg.pool_names[pool]);
            let msg = if retry {
                msg
            } else {
                format!("{msg} (This request can never fit: it is larger than the limit.)")
            };
            let mut r = wire::error_body(StatusCode::TOO_MANY_REQUESTS, &msg, &rid);
            let h = r.headers_mut();
            put_limits(h);
            if let Some(s) = resp.retry_after_s {
                h.insert(header::RETRY_AFTER, HeaderValue::from(s));
            }
            h.insert(
                SHOULD_RETRY,
                HeaderValue::from_static(if retry { "true" } else { "false" }),
            );
            wire::finish(r, &rid)
        }
        Status::InvalidRequest(_) => {
            // A limit the organisation set itself (the monthly spend limit):
            // a 400 that no retry helps.
            let mut r = wire::error_body(
                StatusCode::BAD_REQUEST,
                "You have reached your specified API usage limits. You will regain access at the start of next month.",
                &rid,
            );
            put_limits(r.headers_mut());
            r.headers_mut()
                .insert(SHOULD_RETRY, HeaderValue::from_static("false"));
            wire::finish(r, &rid)
        }
        Status::Overloaded => {
            #[allow(clippy::unwrap_used)] // 529 is in range (100..=999)
            let status = StatusCode::from_u16(529).unwrap();
            let mut r = wire::error_body(status, "Overloaded", &rid);
            put_limits(r.headers_mut());
            r.headers_mut()
                .insert(SHOULD_RETRY, HeaderValue::from_static("true"));
            wire::finish(r, &rid)
        }
        Status::Ok => {
            let usage = resp.usage.unwrap_or_default();
            let ttft = SimTime::from_secs_f64(
                spec.latency.ttft.as_secs_f64() * if factor > 0.0 { factor } else { 1.0 },
            );
            let finish = resp.received_at.saturating_sub(cfg.provider.network_rtt);
            let gen_start = (now + ttft).min(finish);
            let stop = if wanted > max_tokens {
                "max_tokens"
            } else {
                "end_turn"
            };
            let msg_id = app.next_id("msg_");
            let reply = sse::Reply {
                id: msg_id,
                model: req.model,
                usage,
                output,
                stop,
                admitted: now,
                gen_start,
                finish,
                broken,
            };
            if req.stream {
                let mut hdrs = HeaderMap::new();
                put_limits(&mut hdrs);
                sse::stream(&app, reply, hdrs, &rid)
            } else {
                // A zero service time answers at once (tokio's timer would
                // round even a past deadline up to its next millisecond tick).
                if finish > now {
                    tokio::time::sleep_until(app.inner.clock.wall_at(finish).into()).await;
                }
                let text = wire::text(output, 0);
                let body = wire::MessageBody::new(
                    &reply.id,
                    &reply.model,
                    &text,
                    stop,
                    wire::UsageBody::new(&usage, output),
                );
                let mut r = wire::json_response(
                    StatusCode::OK,
                    &body,
                    400 + text.len() + reply.model.len(),
                );
                put_limits(r.headers_mut());
                wire::finish(r, &rid)
            }
        }
    }
}

/// `GET /v1/models`: `after_id`, `before_id`, `limit` (1–1000, default 20).
async fn list_models(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let rid = app.next_id("req_");
    if let Err(m) = check_auth(&headers) {
        app.core().stats.totals.invalid += 1;
        return wire::error(StatusCode::UNAUTHORIZED, m, &rid, HeaderMap::new());
    }
    let mut after = None;
    let mut before = None;
    let mut limit = 20usize;
    for pair in q
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "after_id" => after = Some(v.to_string()),
            "before_id" => before = Some(v.to_string()),
            "limit" => match v.parse::<usize>() {
                Ok(n) if (1..=1000).contains(&n) => limit = n,
                _ => {
                    return wire::error(
                        StatusCode::BAD_REQUEST,
                        "limit: expected an integer from 1 to 1000",
                        &rid,
                        HeaderMap::new(),
                    );
                }
            },
            _ => {}
        }
    }
    let ids: Vec<&str> = app
        .config()
        .provider
        .models
        .iter()
        .map(|m| m.id.as_str())
        .collect();
    let start = after
        .as_deref()
        .and_then(|a| ids.iter().position(|i| *i == a))
        .map_or(0, |p| p + 1);
    let end = before
        .as_deref()
        .and_then(|b| ids.iter().position(|i| *i == b))
        .unwrap_or(ids.len());
    let window: Vec<&str> = if before.is_some() && after.is_none() {
        ids[..end].iter().rev().take(limit).rev().copied().collect()
    } else {
        ids[start.min(end)..end]
            .iter()
            .take(limit)
            .copied()
            .collect()
    };
    let has_more = if before.is_some() && after.is_none() {
        end > window.len()
    } else {
        start + window.len() < end
    };
    let data: Vec<_> = window.iter().map(|id| model_json(id)).collect();
    let mut r = axum::Json(json!({
        "data": data,
        "has_more": has_more,
        "first_id": window.first(),
        "last_id": window.last(),
    }))
    .into_response();
    wire::insert(r.headers_mut(), "request-id", &rid);
    r
}

fn model_json(id: &str) -> serde_json::Value {
    json!({
        "type": "model",
        "id": id,
        "display_name": wire::display_name(id),
        // The catalogue has no release dates: a fixed, stated placeholder.
        "created_at": "2025-01-01T00:00:00Z",
    })
}

async fn get_model(State(app): State<App>, headers: HeaderMap, Path(id): Path<String>) -> Response {
    let rid = app.next_id("req_");
    if let Err(m) = check_auth(&headers) {
        app.core().stats.totals.invalid += 1;
        return wire::error(StatusCode::UNAUTHORIZED, m, &rid, HeaderMap::new());
    }
    match model_index(&app, &id) {
        Some(i) => {
            let mut r = axum::Json(model_json(&app.config().provider.models[i].id)).into_response();
            wire::insert(r.headers_mut(), "request-id", &rid);
            r
        }
        None => wire::error(
            StatusCode::NOT_FOUND,
            &format!("model: {id}"),
            &rid,
            HeaderMap::new(),
        ),
    }
}
