//! Load test for `ratesim serve` (issue 16, part 7; figures in
//! docs/performance.md). Not a timed test: it prints what it measured.
//!
//! Starts the server in-process on a loopback port (its own two-worker
//! runtime, as the CLI runs it) and drives it from C keep-alive HTTP/1.1
//! connections, each sending `POST /v1/messages` back to back for S
//! seconds. The model's service time is zero (no TTFT, instant output), so
//! the latency a connection sees is what the server adds: parsing, the
//! limiter under its lock, JSON, the socket.
//!
//! ```sh
//! cargo run --release --example serve_load -- 64 10            # all admitted
//! cargo run --release --example serve_load -- 64 10 limited    # tier 1: nearly all 429
//! cargo run --release --example serve_load -- 64 10 stream     # SSE responses
//! ```

use std::io;
use std::time::{Duration, Instant};

use ratesim::model::PoolLimits;
use ratesim::serve::{App, ServeConfig, tier_scenario};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let connections: usize = args.first().map_or(Ok(64), |s| s.parse())?;
    let seconds: u64 = args.get(1).map_or(Ok(10), |s| s.parse())?;
    let limited = args.iter().any(|a| a == "limited");
    let stream = args.iter().any(|a| a == "stream");

    let scenario = tier_scenario("tier1")?;
    let mut cfg = ServeConfig::from_scenario(&scenario)?;
    for m in &mut cfg.provider.models {
        m.latency.ttft = ratesim::engine::SimTime::ZERO;
        m.latency.output_tokens_per_s = 1e12;
    }
    if !limited {
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
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = server.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    server.spawn(ratesim::serve::serve(
        listener,
        App::new(cfg),
        std::future::pending(),
    ));

    let body = format!(
        r#"{{"model":"claude-sonnet-4-5","max_tokens":100,"stream":{stream},"messages":[{{"role":"user","content":"Hello, how are the rate limits today?"}}]}}"#
    );
    let request = format!(
        "POST /v1/messages HTTP/1.1\r\nhost: {addr}\r\nx-api-key: k\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let results = client.block_on(async {
        let tasks: Vec<_> = (0..connections)
            .map(|_| {
                let request = request.clone();
                tokio::spawn(async move { connection(addr, request, until).await })
            })
            .collect();
        let mut all = Vec::new();
        for t in tasks {
            all.push(t.await);
        }
        all
    });
    let wall = started.elapsed().as_secs_f64();
    let mut lat = Vec::new();
    let mut statuses = std::collections::BTreeMap::new();
    for r in results {
        let (l, s) = r??;
        lat.extend(l);
        for (k, v) in s {
            *statuses.entry(k).or_insert(0u64) += v;
        }
    }
    lat.sort_unstable();
    let q = |p: f64| {
        let rank = ((p * lat.len() as f64).ceil() as usize).clamp(1, lat.len());
        lat[rank - 1] as f64 / 1000.0
    };
    println!(
        "{connections} connections, {seconds} s, {}: {} responses, {:.0} requests/s; \
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
        q(0.5),
        q(0.99),
        q(1.0),
    );
    Ok(())
}

/// One keep-alive connection: request, read the whole response, repeat.
/// Returns each response's latency in microseconds and the status counts.
async fn connection(
    addr: std::net::SocketAddr,
    request: String,
    until: Instant,
) -> io::Result<(Vec<u64>, Vec<(u16, u64)>)> {
    let mut s = TcpStream::connect(addr).await?;
    s.set_nodelay(true)?;
    let mut lat = Vec::new();
    let mut statuses: Vec<(u16, u64)> = Vec::new();
    let mut buf = Vec::with_capacity(8192);
    while Instant::now() < until {
        let t = Instant::now();
        s.write_all(request.as_bytes()).await?;
        let status = read_response(&mut s, &mut buf).await?;
        lat.push(t.elapsed().as_micros() as u64);
        match statuses.iter_mut().find(|(k, _)| *k == status) {
            Some((_, n)) => *n += 1,
            None => statuses.push((status, 1)),
        }
    }
    Ok((lat, statuses))
}

/// Reads one response (content-length or chunked) and returns its status.
async fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<u16> {
    buf.clear();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(buf, b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let status: u16 = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default();
    if let Some(len) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        while buf.len() < head_end + len {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    } else {
        // Chunked (SSE): the body ends with the zero-length chunk.
        while find(&buf[head_end..], b"\r\n0\r\n\r\n").is_none() {
            let n = s.read(&mut chunk).await?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    }
    Ok(status)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
