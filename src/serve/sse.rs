//! A streamed response: the SSE event sequence, paced by the latency model
//! (first text at time to first token, the rest spread evenly until the
//! response's finish time).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_core::Stream;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::{App, wire};
use crate::engine::SimTime;
use crate::model::Usage;

/// At most this many `content_block_delta` events per response.
const MAX_DELTAS: u64 = 100;

/// What an admitted attempt sends back.
pub struct Reply {
    pub id: String,
    pub model: String,
    pub usage: Usage,
    pub output: u64,
    pub stop: &'static str,
    /// When it was admitted: frames due by then go out at once.
    pub admitted: SimTime,
    pub gen_start: SimTime,
    pub finish: SimTime,
    /// Break off with a mid-stream `overloaded_error` halfway through.
    pub broken: bool,
}

/// `event: NAME\ndata: JSON\n\n`.
fn frame(name: &str, data: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {data}\n\n"))
}

/// The frames of `r` with the simulated time each is due.
fn frames(r: &Reply) -> Vec<(SimTime, Bytes)> {
    let mut start_usage = wire::usage(&r.usage, 1);
    if let Some(o) = start_usage.as_object_mut() {
        o.insert("output_tokens".into(), json!(1));
    }
    let t0 = SimTime::ZERO; // "at once"
    let mut out = vec![
        (
            t0,
            frame(
                "message_start",
                &json!({"type": "message_start",
                        "message": wire::message(&r.id, &r.model, None, None, start_usage)}),
            ),
        ),
        (
            t0,
            frame(
                "content_block_start",
                &json!({"type": "content_block_start", "index": 0,
                        "content_block": {"type": "text", "text": ""}}),
            ),
        ),
        (t0, frame("ping", &json!({"type": "ping"}))),
    ];
    let per = r.output.div_ceil(MAX_DELTAS).max(1);
    let n = r.output.div_ceil(per);
    let span = r.finish.saturating_sub(r.gen_start).as_nanos();
    let mut sent = 0;
    for i in 0..n {
        if r.broken && i == n / 2 {
            out.push((
                r.gen_start,
                frame(
                    "error",
                    &json!({"type": "error",
                            "error": {"type": "overloaded_error", "message": "Overloaded"}}),
                ),
            ));
            return out;
        }
        let k = per.min(r.output - sent);
        let due = r.gen_start + SimTime((span as u128 * i as u128 / n as u128) as u64);
        out.push((
            due,
            frame(
                "content_block_delta",
                &json!({"type": "content_block_delta", "index": 0,
                        "delta": {"type": "text_delta", "text": wire::text(k, sent)}}),
            ),
        ));
        sent += k;
    }
    out.push((
        r.finish,
        frame(
            "content_block_stop",
            &json!({"type": "content_block_stop", "index": 0}),
        ),
    ));
    out.push((
        r.finish,
        frame(
            "message_delta",
            &json!({"type": "message_delta",
                    "delta": {"stop_reason": r.stop, "stop_sequence": null},
                    "usage": {"output_tokens": r.output}}),
        ),
    ));
    out.push((
        r.finish,
        frame("message_stop", &json!({"type": "message_stop"})),
    ));
    out
}

/// The body: frames sent by a task, each at its time; the task stops when
/// the client goes away.
struct Frames(mpsc::Receiver<Bytes>);

impl Stream for Frames {
    type Item = Result<Bytes, Infallible>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.0.poll_recv(cx).map(|o| o.map(Ok))
    }
}

/// Starts streaming `r`: 200 and the headers now, events as they come due.
pub fn stream(app: &App, r: Reply, mut headers: HeaderMap, rid: &str) -> Response {
    let (tx, rx) = mpsc::channel(16);
    let clock = app.clock();
    let plan = frames(&r);
    let admitted = r.admitted;
    tokio::spawn(async move {
        for (due, bytes) in plan {
            if due > admitted {
                tokio::time::sleep_until(clock.wall_at(due).into()).await;
            }
            if tx.send(bytes).await.is_err() {
                return; // the client hung up
            }
        }
    });
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    wire::insert(&mut headers, "request-id", rid);
    let mut resp = Response::new(Body::from_stream(Frames(rx)));
    *resp.status_mut() = StatusCode::OK;
    resp.headers_mut().extend(headers);
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(output: u64, broken: bool) -> Reply {
        Reply {
            id: "msg_x".into(),
            model: "m".into(),
            usage: Usage {
                input_tokens: 5,
                output_tokens: output,
                ..Usage::default()
            },
            output,
            stop: "end_turn",
            admitted: SimTime::ZERO,
            gen_start: SimTime::from_secs(1),
            finish: SimTime::from_secs(3),
            broken,
        }
    }

    fn names(f: &[(SimTime, Bytes)]) -> Vec<String> {
        f.iter()
            .map(|(_, b)| {
                let s = String::from_utf8_lossy(b);
                s.lines()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("event: ")
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn event_sequence_and_pacing() {
        let f = frames(&reply(250, false));
        let n = names(&f);
        assert_eq!(&n[..3], ["message_start", "content_block_start", "ping"]);
        assert_eq!(
            &n[n.len() - 3..],
            ["content_block_stop", "message_delta", "message_stop"]
        );
        // 250 tokens in deltas of 3 (ceil(250/100)): 84 deltas.
        assert_eq!(n.iter().filter(|x| *x == "content_block_delta").count(), 84);
        // The first delta at generation start, the last before finish,
        // times never decreasing.
        assert_eq!(f[3].0, SimTime::from_secs(1));
        assert!(f.windows(2).all(|w| w[0].0 <= w[1].0));
        let text: usize = f
            .iter()
            .filter_map(|(_, b)| {
                let s = String::from_utf8_lossy(b).to_string();
                let data = s.lines().nth(1)?.strip_prefix("data: ")?.to_string();
                let v: Value = serde_json::from_str(&data).ok()?;
                Some(v["delta"]["text"].as_str()?.split_whitespace().count())
            })
            .sum();
        assert_eq!(text, 250);
    }

    #[test]
    fn a_broken_stream_ends_with_an_error_event() {
        let f = frames(&reply(10, true));
        let n = names(&f);
        assert_eq!(n.last().map(String::as_str), Some("error"));
        assert!(!n.contains(&"message_stop".to_string()));
    }
}
