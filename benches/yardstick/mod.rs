//! The yardstick of issue 15: a bare, hand-written event loop of
//! `scenarios/bench-retry-storm.yaml`, to measure ratesim against.
//!
//! It does the same work as `ratesim simulate` on that scenario and nothing
//! else: Poisson arrivals at 60/min, lognormal input (median 400, σ 0.5) and
//! output (median 100, σ 0.5) tokens with `max_tokens` 1024, one pool with
//! three continuously refilled token buckets (RPM 50, ITPM 30,000, OTPM
//! 8,000; capacity one minute's worth, as the default burst gives), real-time
//! OTPM accounting (admitted while the bucket is positive, output drained
//! evenly over generation), 0.5 s to first token then 50 tokens/s, and
//! full-jitter exponential backoff (base 1 s, cap 60 s, 6 retries, ignoring
//! `retry-after`, as the scenario's strategy says). One `BinaryHeap` of
//! events ordered by (time, sequence).
//!
//! It draws from the same seeded streams as ratesim (same names, same
//! order of draws), so on the same scenario it should count the same 429s
//! and the same latencies; `tests/yardstick.rs` checks that it does.
//!
//! Shared by `benches/simulate.rs` and `tests/yardstick.rs` (a folder, so
//! Cargo does not take it for a bench of its own).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use hdrhistogram::Histogram;
use rand::RngExt;
use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;
use ratesim::sim::seed;

const NS_PER_SEC: u64 = 1_000_000_000;
const NS_PER_MIN: u64 = 60 * NS_PER_SEC;
/// One token is `SCALE` units, so a limit of L/min refills L units per ns.
const SCALE: i128 = NS_PER_MIN as i128;

const SEED: u64 = 8;
const RATE_PER_MIN: f64 = 60.0;
const RPM: u64 = 50;
const ITPM: u64 = 30_000;
const OTPM: u64 = 8_000;
const MAX_TOKENS: u64 = 1024;
const TTFT: u64 = 500_000_000;
const TOKENS_PER_S: f64 = 50.0;
const BASE: u64 = NS_PER_SEC;
const CAP: u64 = 60 * NS_PER_SEC;
const MAX_RETRIES: u32 = 6;
/// The scenario's `drain: 10m`.
pub const DRAIN_MINUTES: u64 = 10;

/// What the yardstick measured.
#[derive(Debug)]
pub struct Outcome {
    /// Logical requests that arrived.
    pub requests: u64,
    /// Attempts sent.
    pub attempts: u64,
    /// Attempts answered 429.
    pub rate_limited: u64,
    /// Requests that succeeded.
    pub succeeded: u64,
    /// Successful requests' latency, microseconds (as ratesim records it).
    pub latency_us: Histogram<u64>,
}

/// A continuously refilled bucket that may be drained over time (real-time
/// OTPM) and go below zero.
struct Bucket {
    rate: i128,
    capacity: i128,
    level: i128,
    drain: i128,
    last: u64,
}

impl Bucket {
    fn new(limit: u64) -> Bucket {
        let capacity = limit as i128 * SCALE;
        Bucket {
            rate: limit as i128,
            capacity,
            level: capacity,
            drain: 0,
            last: 0,
        }
    }

    #[inline]
    fn advance(&mut self, now: u64) {
        if now > self.last {
            let dt = (now - self.last) as i128;
            let net = self.rate - self.drain;
            if net <= 0 {
                self.level += net * dt;
            } else if self.level < self.capacity {
                self.level = (self.level + net * dt).min(self.capacity);
            }
            self.last = now;
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    // Bucket adjustments come first among events at one instant: the
    // provider applies everything due at or before an admission check.
    StartDrain(i128),
    StopDrain(i128, i128),
    Arrival,
    Response(u32),
    Retry(u32),
}

impl Ev {
    #[inline]
    fn rank(self) -> u8 {
        match self {
            Ev::StartDrain(_) | Ev::StopDrain(..) => 0,
            _ => 1,
        }
    }
}

struct Req {
    arrival: u64,
    input: u64,
    output: u64,
    retries: u32,
    /// Whether its last attempt was answered 429.
    limited: bool,
}

/// Runs the storm for `minutes` of arrivals plus the scenario's drain.
pub fn run(minutes: u64) -> Outcome {
    let horizon = minutes * NS_PER_MIN;
    let end = horizon + DRAIN_MINUTES * NS_PER_MIN;
    let mut arrival_rng = seed::stream(SEED, "stream/storm/arrivals");
    let mut size_rng = seed::stream(SEED, "stream/storm/sizes");
    let mut jitter = seed::stream(SEED, "client/jitter");
    let input_dist = LogNormal::new(400f64.ln(), 0.5).unwrap_or_else(|_| unreachable!());
    let output_dist = LogNormal::new(100f64.ln(), 0.5).unwrap_or_else(|_| unreachable!());
    let envelope = RATE_PER_MIN / NS_PER_MIN as f64;
    let mut last_arrival = 0f64;
    let mut next_arrival = |rng: &mut ChaCha8Rng| -> Option<u64> {
        let u: f64 = rng.random();
        last_arrival += -(1.0 - u).ln() / envelope;
        if last_arrival >= horizon as f64 {
            return None;
        }
        // The acceptance draw of ratesim's thinning (always accepted at a
        // constant rate, but drawn all the same).
        let _accept: f64 = rng.random();
        Some(last_arrival as u64)
    };
    let tokens = |d: &LogNormal<f64>, rng: &mut ChaCha8Rng| -> u64 {
        let x: f64 = d.sample(rng);
        x.round().clamp(0.0, 100_000_000.0) as u64
    };

    let mut st = State {
        rpm: Bucket::new(RPM),
        itpm: Bucket::new(ITPM),
        otpm: Bucket::new(OTPM),
        heap: BinaryHeap::new(),
        seq: 0,
        reqs: Vec::new(),
        out: Outcome {
            requests: 0,
            attempts: 0,
            rate_limited: 0,
            succeeded: 0,
            latency_us: Histogram::new(3).unwrap_or_else(|_| unreachable!()),
        },
    };
    let mut free: Vec<u32> = Vec::new();

    if let Some(t) = next_arrival(&mut arrival_rng) {
        st.push(t, Ev::Arrival);
    }
    while let Some(Reverse((now, _, _, ev))) = st.heap.pop() {
        if now > end {
            break;
        }
        match ev {
            Ev::StartDrain(rate) => {
                st.otpm.advance(now);
                st.otpm.drain += rate;
            }
            Ev::StopDrain(rate, remainder) => {
                st.otpm.advance(now);
                st.otpm.drain -= rate;
                st.otpm.level -= remainder;
            }
            Ev::Arrival => {
                if let Some(t) = next_arrival(&mut arrival_rng) {
                    st.push(t, Ev::Arrival);
                }
                let input = tokens(&input_dist, &mut size_rng);
                let output = tokens(&output_dist, &mut size_rng).min(MAX_TOKENS);
                let req = Req {
                    arrival: now,
                    input,
                    output,
                    retries: 0,
                    limited: false,
                };
                let id = match free.pop() {
                    Some(id) => {
                        st.reqs[id as usize] = req;
                        id
                    }
                    None => {
                        st.reqs.push(req);
                        (st.reqs.len() - 1) as u32
                    }
                };
                st.out.requests += 1;
                st.send(now, id);
            }
            Ev::Retry(id) => st.send(now, id),
            Ev::Response(id) => {
                let r = &mut st.reqs[id as usize];
                if !r.limited {
                    st.out.succeeded += 1;
                    let us = ((now - r.arrival) / 1_000).max(1);
                    if st.out.latency_us.record(us).is_err() {
                        st.out.latency_us.saturating_record(us);
                    }
                    free.push(id);
                    continue;
                }
                st.out.rate_limited += 1;
                if r.retries >= MAX_RETRIES {
                    free.push(id);
                    continue;
                }
                let t = BASE.saturating_mul(1u64 << r.retries).min(CAP);
                let delay = jitter.random_range(0..=t);
                r.retries += 1;
                st.push(now + delay, Ev::Retry(id));
            }
        }
    }
    st.out
}

/// Everything the loop mutates besides the random streams.
struct State {
    rpm: Bucket,
    itpm: Bucket,
    otpm: Bucket,
    heap: BinaryHeap<Reverse<(u64, u8, u64, Ev)>>,
    seq: u64,
    reqs: Vec<Req>,
    out: Outcome,
}

impl State {
    #[inline]
    fn push(&mut self, t: u64, e: Ev) {
        self.heap.push(Reverse((t, e.rank(), self.seq, e)));
        self.seq += 1;
    }

    /// Sends attempt `id` at `now`: admission against the three buckets.
    fn send(&mut self, now: u64, id: u32) {
        self.out.attempts += 1;
        self.rpm.advance(now);
        self.itpm.advance(now);
        self.otpm.advance(now);
        let r = &mut self.reqs[id as usize];
        let (input, output) = (r.input as i128, r.output);
        let admit =
            self.rpm.level >= SCALE && self.itpm.level >= input * SCALE && self.otpm.level >= 1;
        r.limited = !admit;
        if !admit {
            self.push(now, Ev::Response(id));
            return;
        }
        self.rpm.level -= SCALE;
        self.itpm.level -= input * SCALE;
        let start = now + TTFT;
        let gen_s = output as f64 / TOKENS_PER_S;
        let finish = start + (gen_s * 1e9).round() as u64;
        let span = (finish - start) as i128;
        let total = output as i128 * SCALE;
        if span > 0 && total > 0 {
            self.push(start, Ev::StartDrain(total / span));
            self.push(finish, Ev::StopDrain(total / span, total % span));
        }
        self.push(finish, Ev::Response(id));
    }
}
