//! Each strategy preset's decision path: a request is enqueued, polled out
//! of the client and answered, on the success path (200 with usage) and on
//! the 429 path (`retry-after: 2`, `x-should-retry: true`).
//!
//! Run with `cargo bench --bench strategy`; elements are requests. Every
//! timed iteration replays the same 1,000 requests against a fresh
//! [`Client`] from time zero (building it is not timed): one every 3 s, all
//! in the most important class, 400 input tokens and `max_tokens` 256 on a
//! tier-1 Sonnet pool (50 RPM, 30,000 ITPM, 8,000 OTPM). That is below
//! every preset's own pacing and concurrency limits, so the client never has
//! to hold a request back for want of budget, and each request costs
//! one `enqueue`, one `poll` and one `on_response` (or `on_throttled`, when
//! adaptive throttling rejects it locally). The retries a 429 asks for are
//! decided, not replayed. `batch_offload` differs from `exponential_backoff`
//! only for background classes, which the simulator (not the client) sends
//! to the Batch API, so here the two take the same path.

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use ratesim::engine::SimTime;
use ratesim::model::{
    Dimension, LimitHeader, PoolLimits, RateLimitHeaders, Response, Status, Usage,
};
use ratesim::strategy::{Client, ClientRequest, Poll, Preset, Router};

/// Requests per timed iteration.
const REQUESTS: u32 = 1_000;
const SPACING: SimTime = SimTime::from_secs(3);
const INPUT_TOKENS: u64 = 400;
const OUTPUT_TOKENS: u64 = 100;
const MAX_TOKENS: u64 = 256;
/// Time from sending to the response arriving.
const LATENCY: SimTime = SimTime::from_secs(1);
const LIMITS: PoolLimits = PoolLimits {
    rpm: Some(50),
    itpm: Some(30_000),
    otpm: Some(8_000),
    tpm: None,
    max_concurrent: None,
};

fn client(preset: Preset) -> Client {
    Client::new(
        preset.spec(),
        &[LIMITS],
        vec![0],
        Router::default(),
        ChaCha8Rng::seed_from_u64(3),
    )
}

fn requests() -> Vec<ClientRequest> {
    (0..REQUESTS)
        .map(|id| ClientRequest {
            id,
            model: 0,
            pool: 0,
            class: 0,
            arrival: SimTime(u64::from(id) * SPACING.as_nanos()),
            seq: u64::from(id),
            input_tokens: INPUT_TOKENS,
            max_tokens: MAX_TOKENS,
        })
        .collect()
}

/// The headers a server would send after handling one request at `at`:
/// `requests_left` requests, the input and output token budgets nearly full.
fn headers(at: SimTime, requests_left: u64) -> RateLimitHeaders {
    let header = |limit: u64, remaining: u64| {
        Some(LimitHeader {
            limit,
            remaining,
            reset: at + SimTime::from_millis(1_200),
        })
    };
    RateLimitHeaders {
        requests: header(50, requests_left),
        input_tokens: header(30_000, 30_000),
        output_tokens: header(8_000, 8_000),
        tokens: None,
    }
}

/// The answer to a request the server handled at `at`.
fn response(ok: bool, at: SimTime) -> Response {
    Response {
        status: if ok {
            Status::Ok
        } else {
            Status::RateLimited(Dimension::Rpm)
        },
        headers: Some(headers(at, if ok { 49 } else { 0 })),
        retry_after_s: (!ok).then_some(2),
        retry_after_ms: None,
        should_retry: !ok,
        usage: ok.then_some(Usage {
            input_tokens: INPUT_TOKENS,
            output_tokens: OUTPUT_TOKENS,
            ..Usage::default()
        }),
        limited_by_workspace: false,
        oversized: false,
        server_time: at,
        received_at: at + LATENCY,
    }
}

/// Feeds every request through `client`, answering each with a success
/// (`ok`) or a 429. Returns how many were sent, to keep the work observable.
fn drive(client: &mut Client, requests: &[ClientRequest], ok: bool) -> u32 {
    let mut now = SimTime::ZERO;
    let mut sent = 0;
    for r in requests {
        now = now.max(r.arrival);
        client.enqueue(*r);
        loop {
            match client.poll(now) {
                Poll::Send { request, cost } => {
                    let answer = response(ok, now);
                    now = answer.received_at;
                    let decision =
                        client.on_response(now, &request, cost, &answer, 0, SimTime::ZERO);
                    black_box(decision);
                    sent += 1;
                    break;
                }
                Poll::Throttled { request } => {
                    black_box(client.on_throttled(now, &request, 0, SimTime::ZERO));
                    break;
                }
                // No preset sheds; a shed request is done with.
                Poll::Shed { .. } => break,
                // Not expected at this load, but a paced client may ask.
                Poll::Wait(t) => now = t,
                Poll::Idle => break,
            }
        }
    }
    sent
}

fn decision_path(c: &mut Criterion) {
    let requests = requests();
    for (path, ok) in [("ok", true), ("429", false)] {
        let mut g = c.benchmark_group(format!("strategy/{path}"));
        g.throughput(Throughput::Elements(u64::from(REQUESTS)));
        for preset in Preset::ALL {
            g.bench_function(preset.name(), |b| {
                b.iter_batched_ref(
                    || client(preset),
                    |client| drive(client, &requests, ok),
                    BatchSize::SmallInput,
                )
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    // HTML plots need a system font this machine may not have.
    config = Criterion::default().without_plots();
    targets = decision_path
}
criterion_main!(benches);
