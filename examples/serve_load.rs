//! Load test for `ratesim serve` (issue 16, part 7; issue 15; figures in
//! docs/performance.md). Not a timed test: it prints what it measured.
//!
//! By default it starts the server in-process on a loopback port (its own
//! two-worker runtime, records kept and drained into a session summary every
//! second, as the CLI runs it) and drives it from C keep-alive HTTP/1.1
//! connections, each sending `POST /v1/messages` back to back for S seconds
//! (or, with `requests=N`, until N responses in all). The model's service
//! time is zero (no TTFT, instant output), so the latency a connection sees
//! is what the server adds: parsing, the limiter under its lock, JSON, the
//! socket, and, with more connections than cores, the queue for a core.
//!
//! In-process it also times the server's own part of each request: from the
//! moment the router receives the parsed request head to the moment the
//! handler has produced the whole response (body read, admission, headers,
//! JSON), leaving out only hyper's parse of the head and its write to the
//! socket. That is the "server time" line.
//!
//! With `addr=HOST:PORT` it drives a server already running (e.g. `ratesim
//! serve` under `/usr/bin/time -v`) instead; `pid=PID` then reports that
//! process's VmRSS and VmHWM every million responses and at the end.
//!
//! ```sh
//! cargo run --release --example serve_load -- 64 10            # all admitted
//! cargo run --release --example serve_load -- 64 10 limited    # tier 1: nearly all 429
//! cargo run --release --example serve_load -- 64 10 stream     # SSE responses
//! cargo run --release --example serve_load -- 64 0 requests=10000000 addr=127.0.0.1:8080 pid=1234
//! ```

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use ratesim::model::PoolLimits;
use ratesim::serve::{App, ServeConfig, Session, tier_scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Hist = Arc<Mutex<Histogram<u64>>>;

/// Microseconds from 1 µs to 100 s, 3 significant digits.
fn new_hist() -> Result<Histogram<u64>, hdrhistogram::CreationError> {
    Histogram::new_with_bounds(1, 100_000_000, 3)
}

fn hist() -> Result<Hist, Box<dyn std::error::Error>> {
    Ok(Arc::new(Mutex::new(new_hist()?)))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let connections: usize = args.first().map_or(Ok(64), |s| s.parse())?;
    let seconds: u64 = args.get(1).map_or(Ok(10), |s| s.parse())?;
    let limited = args.iter().any(|a| a == "limited");
    let stream = args.iter().any(|a| a == "stream");
    let opt = |k: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
    };
    let max_requests: u64 = opt("requests").map_or(Ok(u64::MAX), str::parse)?;
    let external: Option<SocketAddr> = opt("addr").map(str::parse).transpose()?;
    let pid: Option<u32> = opt("pid").map(str::parse).transpose()?;

    let server_time = hist()?;
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (addr, app) = match external {
        Some(a) => (a, None),
        None => {
            let app = App::new(config(limited)?);
            let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
            let addr = listener.local_addr()?;
            let timed = server_time.clone();
            let router = app
                .router()
                .layer(axum::middleware::from_fn(move |req, next| {
                    time_it(timed.clone(), req, next)
                }));
            server.spawn(ratesim::serve::serve_router(
                listener,
                router,
                std::future::pending(),
            ));
            // As the CLI does: collect the attempts every second into the
            // session summary (so the records cannot pile up).
            let drained = app.clone();
            server.spawn(async move {
                let mut session = Session::new(drained.config());
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    for r in drained.take_records() {
                        session.add(&r);
                    }
                }
            });
            (addr, Some(app))
        }
    };

    let body = format!(
        r#"{{"model":"claude-sonnet-4-5","max_tokens":100,"stream":{stream},"messages":[{{"role":"user","content":"Hello, how are the rate limits today?"}}]}}"#
    );
    let request: Arc<[u8]> = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: {addr}\r\nx-api-key: k\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .into();
    // One client worker: the server keeps the other core(s).
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let until = if seconds == 0 {
        None
    } else {
        Some(Instant::now() + Duration::from_secs(seconds))
    };
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let results = client.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let request = request.clone();
                let done = done.clone();
                tokio::spawn(async move {
                    connection(addr, request, until, done, max_requests, pid).await
                })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await);
        }
        all
    });
    let wall = started.elapsed().as_secs_f64();
    let mut lat = new_hist()?;
    let mut statuses = std::collections::BTreeMap::new();
    for r in results {
        let (l, s) = r?.map_err(|e| e.to_string())?;
        lat.add(&l)?;
        for (k, v) in s {
            *statuses.entry(k).or_insert(0u64) += v;
        }
    }
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{connections} connections, {wall:.1} s, {}: {} responses, {:.0} requests/s; \
         latency p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; statuses {statuses:?}",
        if stream {
            "stream"
        } else if limited {
            "tier 1 limits"
        } else {
            "unlimited"
        },
        lat.len(),
        lat.len() as f64 / wall,
        ms(&lat, 0.5),
        ms(&lat, 0.99),
        lat.max() as f64 / 1000.0,
    );
    if app.is_some() {
        let h = server_time.lock().map_err(|_| "poisoned")?;
        let us = |q: f64| h.value_at_quantile(q);
        println!(
            "server time per request (head received to response ready): p50 {} µs, \
             p99 {} µs, p99.9 {} µs, max {} µs over {} requests",
            us(0.5),
            us(0.99),
            us(0.999),
            h.max(),
            h.len()
        );
    }
    if let Some(p) = pid {
        println!("server {p}: {}", memory(p));
    } else {
        println!(
            "this process (client and server): {}",
            memory(std::process::id())
        );
    }
    Ok(())
}

/// tier 1 with zero service time; without `limited`, limits and spend cap
/// out of the way.
fn config(limited: bool) -> Result<ServeConfig, Box<dyn std::error::Error>> {
    let scenario = tier_scenario("tier1")?;
    let mut cfg = ServeConfig::from_scenario(&scenario)?;
    for m in &mut cfg.provider.models {
        m.latency.ttft = ratesim::engine::SimTime::ZERO;
        m.latency.output_tokens_per_s = 1e12;
    }
    if !limited {
        // No monthly spend cap either: tier 1's $100 lasts ~300,000 requests.
        cfg.provider.spend = None;
        let big = Some(1_000_000_000_000);
        for p in &mut cfg.provider.pools {
            p.1 = PoolLimits {
                rpm: big,
                itpm: big,
                otpm: big,
                tpm: None,
                max_concurrent: None,
            };
        }
    }
    cfg.output_tokens = Some(20);
    cfg.keep_records = true;
    Ok(cfg)
}

/// The router's time for one request, in microseconds.
async fn time_it(
    h: Hist,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let t = Instant::now();
    let r = next.run(req).await;
    let us = t.elapsed().as_micros() as u64;
    if let Ok(mut h) = h.lock() {
        h.saturating_record(us.max(1));
    }
    r
}

/// `VmRSS` and `VmHWM` of process `pid`.
fn memory(pid: u32) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let get = |k: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(k))
            .map_or("?".to_string(), |v| v.trim().to_string())
    };
    format!("VmRSS {}, VmHWM {}", get("VmRSS:"), get("VmHWM:"))
}

/// One keep-alive connection: request, read the whole response, repeat.
/// Returns its latency histogram (microseconds) and the status counts.
async fn connection(
    addr: SocketAddr,
    request: Arc<[u8]>,
    until: Option<Instant>,
    done: Arc<AtomicU64>,
    max_requests: u64,
    pid: Option<u32>,
) -> Result<(Histogram<u64>, Vec<(u16, u64)>), Box<dyn std::error::Error + Send + Sync>> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let mut lat = new_hist()?;
    let mut statuses: Vec<(u16, u64)> = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while until.is_none_or(|u| Instant::now() < u) {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if n > max_requests {
            break;
        }
        let t = Instant::now();
        s.write_all(&request).await?;
        let status = read_response(&mut s, &mut buf).await?;
        lat.saturating_record((t.elapsed().as_micros() as u64).max(1));
        match statuses.iter_mut().find(|(k, _)| *k == status) {
            Some((_, n)) => *n += 1,
            None => statuses.push((status, 1)),
        }
        if let Some(p) = pid
            && n.is_multiple_of(1_000_000)
        {
            println!("{n} requests: server {p}: {}", memory(p));
        }
    }
    Ok((lat, statuses))
}

/// Reads one response (content-length or chunked) into `buf` and returns
/// its status.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<u16> {
    let mut len = 0;
    let mut scanned = 0usize;
    let head_end = loop {
        let from = scanned.saturating_sub(3);
        if let Some(i) = find(&buf[from..len], b"\r\n\r\n") {
            break from + i + 4;
        }
        scanned = len;
        len += fill(s, buf, len).await?;
    };
    let head = &buf[..head_end];
    let status = std::str::from_utf8(head.get(9..12).unwrap_or_default())
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    let content_length = head.split(|&b| b == b'\n').find_map(|l| {
        let l = l.strip_suffix(b"\r").unwrap_or(l);
        let (k, v) = l.split_at(l.iter().position(|&b| b == b':')?);
        k.eq_ignore_ascii_case(b"content-length")
            .then(|| {
                std::str::from_utf8(&v[1..])
                    .ok()?
                    .trim()
                    .parse::<usize>()
                    .ok()
            })
            .flatten()
    });
    match content_length {
        Some(n) => {
            while len < head_end + n {
                len += fill(s, buf, len).await?;
            }
        }
        None => {
            // Chunked (SSE): the body ends with the zero-length chunk.
            let mut from = head_end;
            while find(&buf[from..len], b"\r\n0\r\n\r\n").is_none() {
                from = len.saturating_sub(6).max(head_end);
                len += fill(s, buf, len).await?;
            }
        }
    }
    Ok(status)
}

/// Most bytes one read adds.
const READ: usize = 16 * 1024;

/// Reads more into `buf` after its first `len` bytes; how many.
async fn fill(s: &mut TcpStream, buf: &mut Vec<u8>, len: usize) -> io::Result<usize> {
    if buf.len() < len + READ {
        buf.resize(len + READ, 0);
    }
    let n = s.read(&mut buf[len..len + READ]).await?;
    if n == 0 {
        return Err(io::ErrorKind::UnexpectedEof.into());
    }
    Ok(n)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
