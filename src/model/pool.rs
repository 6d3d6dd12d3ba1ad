//! A pool of models sharing one organisation's limits.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use serde::{Deserialize, Serialize};

use super::bucket::{SCALE, TokenBucket};
use super::headers::{LimitHeader, RateLimitHeaders, round_to_thousand};
use super::limiter::{Algorithm, Limiter, Need, scaled};
use crate::engine::SimTime;

/// A rate-limit dimension, in the order the server checks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Requests per minute.
    Rpm,
    /// Input tokens per minute.
    Itpm,
    /// Output tokens per minute.
    Otpm,
    /// Input plus output tokens per minute (the combined "TPM" some
    /// profiles and guides quote).
    Tpm,
    /// Concurrent requests in flight.
    Concurrency,
    /// A sharp rise in usage (acceleration limit), below the per-minute limits.
    Acceleration,
    /// The monthly spend limit (`enforced_spend_limit_reached`, or a
    /// limit the organisation set itself).
    Spend,
}

impl Dimension {
    /// All dimensions in check order.
    pub const ALL: [Dimension; 7] = [
        Dimension::Rpm,
        Dimension::Itpm,
        Dimension::Otpm,
        Dimension::Tpm,
        Dimension::Concurrency,
        Dimension::Acceleration,
        Dimension::Spend,
    ];

    /// Position in [`Dimension::ALL`], for per-dimension counters.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Rpm => "rpm",
            Dimension::Itpm => "itpm",
            Dimension::Otpm => "otpm",
            Dimension::Tpm => "tpm",
            Dimension::Concurrency => "concurrency",
            Dimension::Acceleration => "acceleration",
            Dimension::Spend => "spend",
        }
    }
}

/// How output tokens count against OTPM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OtpmAccounting {
    /// Debited as generated; admitted while the bucket is positive (current docs).
    #[default]
    Realtime,
    /// `max_tokens` charged at admission, the unused part refunded at the end
    /// (documentation until late 2025).
    ReserveMaxTokens,
}

/// Per-minute limits of one pool; `None` is unlimited.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PoolLimits {
    /// Requests per minute.
    pub rpm: Option<u64>,
    /// Input tokens per minute.
    pub itpm: Option<u64>,
    /// Output tokens per minute.
    pub otpm: Option<u64>,
    /// Input plus output tokens per minute.
    pub tpm: Option<u64>,
    /// Concurrent requests.
    pub max_concurrent: Option<u64>,
}

/// Bucket capacity per dimension, as time at the limit. Anthropic does not
/// publish it; its docs warn that "60 RPM might be enforced as 1 request
/// per second", which is `rpm: 1s` with the token dimensions left at a
/// minute. Windows ignore it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bursts {
    /// Requests per minute.
    pub rpm: SimTime,
    /// Input tokens per minute.
    pub itpm: SimTime,
    /// Output tokens per minute.
    pub otpm: SimTime,
    /// Combined tokens per minute.
    pub tpm: SimTime,
}

impl Bursts {
    /// One minute's worth in every dimension: a bucket refilled from empty
    /// is full after 60 s, which matches the input-token `reset` of a real
    /// 429 (61 s ahead of the response's `date`, the extra second being the
    /// header's whole-second rounding and the tripping request's share).
    pub const MINUTE: Bursts = Bursts::uniform(SimTime(SimTime::NANOS_PER_MIN));

    /// The same capacity in every dimension.
    pub const fn uniform(burst: SimTime) -> Bursts {
        Bursts {
            rpm: burst,
            itpm: burst,
            otpm: burst,
            tpm: burst,
        }
    }

    /// Whether every dimension has the same capacity.
    pub fn is_uniform(&self) -> bool {
        self.rpm == self.itpm && self.itpm == self.otpm && self.otpm == self.tpm
    }

    /// The burst of `dim` (rpm, itpm, otpm or tpm; others get the RPM one).
    pub fn of(&self, dim: Dimension) -> SimTime {
        match dim {
            Dimension::Itpm => self.itpm,
            Dimension::Otpm => self.otpm,
            Dimension::Tpm => self.tpm,
            _ => self.rpm,
        }
    }
}

/// Smallest bucket capacity per token dimension, in tokens: the largest
/// single request the workload sends, so that a short burst never makes a
/// request permanently too large that the per-minute limit accepts. The
/// pool caps each floor at one minute's worth of the limit, and RPM always
/// has a floor of one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapacityFloor {
    /// Input tokens counted toward ITPM by the largest request.
    pub itpm: u64,
    /// Output tokens the largest request needs at admission (its
    /// `max_tokens` when reserved, its estimate under `estimated_fits`).
    pub otpm: u64,
    /// The largest input + output need, for a combined TPM limit.
    pub tpm: u64,
}

/// What the server answers a request larger than a dimension's whole
/// capacity (one that can never be admitted).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Oversized {
    /// A `429 rate_limit_error` naming the limit ("This request would
    /// exceed the rate limit for your organization … of 30,000 input tokens
    /// per minute", seen in public bug reports), with a `retry-after` that
    /// never helps: clients that retry it burn attempts.
    #[default]
    RateLimited,
    /// A non-retryable error after one attempt (ratesim's earlier rule).
    TooLarge,
}

impl Oversized {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            Oversized::RateLimited => "rate_limited",
            Oversized::TooLarge => "too_large",
        }
    }
}

/// When real-time OTPM accounting admits a request (the docs say only that
/// output "is evaluated in real time as output tokens are produced").
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdmitWhen {
    /// While the output bucket is above zero; the output may then drive it
    /// far below zero (ratesim's reading of the docs).
    #[default]
    Positive,
    /// Only when the bucket holds the request's estimated output
    /// ([`Demand::output_estimate`]).
    EstimatedFits,
}

impl AdmitWhen {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            AdmitWhen::Positive => "positive",
            AdmitWhen::EstimatedFits => "estimated_fits",
        }
    }
}

/// How a pool enforces its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimiterConfig {
    /// Algorithm for rpm/itpm/otpm.
    pub algorithm: Algorithm,
    /// Bucket capacity per dimension (Anthropic does not publish it).
    pub burst: Bursts,
    /// Smallest capacity per token dimension (see [`CapacityFloor`]).
    pub floor: CapacityFloor,
    /// OTPM rule.
    pub otpm_accounting: OtpmAccounting,
    /// Admission rule under real-time OTPM accounting.
    pub admit_when: AdmitWhen,
    /// The answer to a request that can never fit.
    pub oversized: Oversized,
}

impl Default for LimiterConfig {
    fn default() -> Self {
        LimiterConfig {
            algorithm: Algorithm::TokenBucket,
            burst: Bursts::MINUTE,
            floor: CapacityFloor::default(),
            otpm_accounting: OtpmAccounting::Realtime,
            admit_when: AdmitWhen::Positive,
            oversized: Oversized::RateLimited,
        }
    }
}

/// What one attempt asks of a pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Demand {
    /// Tokens that count toward ITPM (uncached input + cache writes, plus
    /// cache reads on models that count them).
    pub itpm_tokens: u64,
    /// The request's `max_tokens`.
    pub max_tokens: u64,
    /// Tokens the response will actually generate (≤ `max_tokens`).
    pub output_tokens: u64,
    /// The output the server expects before generating it, for
    /// [`AdmitWhen::EstimatedFits`] (the `max_tokens`, or a typical output).
    pub output_estimate: u64,
    /// When generation starts (after time to first token).
    pub generation_start: SimTime,
    /// When the response completes.
    pub finish: SimTime,
}

/// The pool's answer to an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every dimension has room.
    Admit,
    /// Rejected by `dimension`; with no other traffic it would fit at `fits_at`.
    Reject {
        /// The first dimension, in check order, that lacked room.
        dimension: Dimension,
        /// Earliest admission time for this same request.
        fits_at: SimTime,
    },
    /// The request exceeds a dimension's capacity and can never be admitted.
    Never {
        /// The dimension it can never fit.
        dimension: Dimension,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Adjustment {
    /// The request completes: its concurrency slot is freed and the output
    /// drains it started stop (one bit per dimension in `drains`; OTPM and
    /// TPM drain at the same rate), charging the `remainder` units an even
    /// spread left over. One entry instead of one per effect: everything
    /// due at one instant is applied before anyone looks, and these commute.
    Finish {
        drains: u8,
        rate: i128,
        remainder: i128,
    },
    Credit {
        dim: u8,
        units: u64,
        charged_at: SimTime,
    },
    Debit {
        dim: u8,
        units: u64,
    },
    StartDrain {
        drains: u8,
        rate: i128,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Pending {
    time: SimTime,
    seq: u64,
    adj: Adjustment,
}

/// One pool's limiters plus the future adjustments its admitted requests
/// imply (refunds, the end of output streams, released concurrency).
///
/// Every method takes the current time and first applies whatever came due,
/// so the pool never reads a clock and needs no completion callbacks.
#[derive(Clone, Debug)]
pub struct Pool {
    limiters: [Option<Limiter>; SLOTS],
    max_concurrent: Option<u64>,
    in_flight: u64,
    accounting: OtpmAccounting,
    admit_when: AdmitWhen,
    pending: BinaryHeap<Reverse<Pending>>,
    /// When the earliest pending adjustment comes due ([`SimTime::MAX`]
    /// with none): a check, a header or an in-flight count between two
    /// adjustments then costs one comparison instead of a heap peek.
    next_due: SimTime,
    /// Spare allocation for [`Pool::earliest_fit`]'s copy of `pending`.
    scratch: Vec<Pending>,
    seq: u64,
}

const RPM: usize = 0;
const ITPM: usize = 1;
const OTPM: usize = 2;
const TPM: usize = 3;
/// Output committed to admitted requests: their estimates, charged at
/// admission and settled to the actual output when they finish. Only under
/// real-time accounting with [`AdmitWhen::EstimatedFits`]; a 429 from it
/// names OTPM.
const COMMIT: usize = 4;
/// Limiter slots: the four dimensions plus the OTPM commitments.
const SLOTS: usize = 5;

/// The dimension a limiter slot reports.
fn slot_dimension(i: usize) -> Dimension {
    if i == COMMIT {
        Dimension::Otpm
    } else {
        Dimension::ALL[i]
    }
}

impl Pool {
    /// A pool with full buckets and nothing in flight.
    pub fn new(limits: PoolLimits, config: LimiterConfig) -> Pool {
        let mk = |l: Option<u64>, dim: Dimension, floor: u64| {
            l.map(|l| Limiter::with_floor(config.algorithm, l, config.burst.of(dim), floor))
        };
        let f = config.floor;
        let commits = config.otpm_accounting == OtpmAccounting::Realtime
            && config.admit_when == AdmitWhen::EstimatedFits;
        Pool {
            limiters: [
                mk(limits.rpm, Dimension::Rpm, 1),
                mk(limits.itpm, Dimension::Itpm, f.itpm),
                mk(limits.otpm, Dimension::Otpm, f.otpm),
                mk(limits.tpm, Dimension::Tpm, f.tpm),
                mk(limits.otpm.filter(|_| commits), Dimension::Otpm, f.otpm),
            ],
            max_concurrent: limits.max_concurrent,
            in_flight: 0,
            accounting: config.otpm_accounting,
            admit_when: config.admit_when,
            pending: BinaryHeap::new(),
            next_due: SimTime::MAX,
            scratch: Vec::new(),
            seq: 0,
        }
    }

    /// Requests admitted and not yet finished.
    pub fn in_flight(&mut self, now: SimTime) -> u64 {
        self.advance(now);
        self.in_flight
    }

    fn needs(&self, d: &Demand) -> [Need; SLOTS] {
        let (otpm, tpm) = match (self.accounting, self.admit_when) {
            (OtpmAccounting::Realtime, AdmitWhen::Positive) => {
                (Need::Positive, Need::Units(d.itpm_tokens.max(1)))
            }
            (OtpmAccounting::Realtime, AdmitWhen::EstimatedFits) => {
                (Need::Positive, Need::Units(d.itpm_tokens.max(1)))
            }
            (OtpmAccounting::ReserveMaxTokens, _) => (
                Need::Units(d.max_tokens),
                Need::Units(d.itpm_tokens + d.max_tokens),
            ),
        };
        let commit = Need::Units(d.output_estimate.max(1));
        [
            Need::Units(1),
            Need::Units(d.itpm_tokens),
            otpm,
            tpm,
            commit,
        ]
    }

    /// Decides whether `demand` may be admitted now. Changes nothing but the
    /// passage of time: a rejection deducts nothing.
    pub fn check(&mut self, now: SimTime, demand: &Demand) -> Verdict {
        self.check_with(now, demand, true)
    }

    /// [`Pool::check`], working out a rejection's `fits_at` only when
    /// `fit` is true. Without it a [`Verdict::Reject`] carries `now`: the
    /// earliest fit is what `retry-after` is made of, and replaying the
    /// pending adjustments for it is most of a 429's cost, so a provider
    /// whose client never reads `retry-after` skips it. (The replay never
    /// turns a rejection into [`Verdict::Never`] once every need passed
    /// [`Limiter::can_ever_fit`]: every drain and every slot in flight
    /// ends at a pending adjustment, after which each limiter refills.)
    pub fn check_with(&mut self, now: SimTime, demand: &Demand, fit: bool) -> Verdict {
        self.advance(now);
        let needs = self.needs(demand);
        for (i, lim) in self.limiters.iter().enumerate() {
            if let Some(lim) = lim
                && !lim.can_ever_fit(needs[i])
            {
                return Verdict::Never {
                    dimension: slot_dimension(i),
                };
            }
        }
        if self.max_concurrent == Some(0) {
            return Verdict::Never {
                dimension: Dimension::Concurrency,
            };
        }
        let mut failed = None;
        for (i, lim) in self.limiters.iter_mut().enumerate() {
            if let Some(lim) = lim
                && !lim.fits(now, needs[i])
            {
                failed = Some(slot_dimension(i));
                break;
            }
        }
        if failed.is_none() && self.max_concurrent.is_some_and(|m| self.in_flight >= m) {
            failed = Some(Dimension::Concurrency);
        }
        match failed {
            None => Verdict::Admit,
            Some(dimension) if !fit => Verdict::Reject {
                dimension,
                fits_at: now,
            },
            Some(dimension) => match self.earliest_fit(now, &needs) {
                Some(fits_at) => Verdict::Reject { dimension, fits_at },
                None => Verdict::Never { dimension },
            },
        }
    }

    /// Charges an admitted request and schedules what its completion implies.
    /// Call only after [`Pool::check`] returned [`Verdict::Admit`] at `now`.
    pub fn admit(&mut self, now: SimTime, d: &Demand) {
        self.advance(now);
        if let Some(l) = &mut self.limiters[RPM] {
            l.debit(now, 1);
        }
        if let Some(l) = &mut self.limiters[ITPM] {
            l.debit(now, d.itpm_tokens);
        }
        if let Some(l) = &mut self.limiters[TPM] {
            l.debit(now, d.itpm_tokens);
        }
        let output = d.output_tokens.min(d.max_tokens);
        // Realtime buckets drain the output evenly over generation.
        let start = d.generation_start.max(now).min(d.finish);
        let span = (d.finish.as_nanos() - start.as_nanos()) as i128;
        let total = output as i128 * SCALE;
        let (rate, remainder) = if span > 0 {
            (total / span, total % span)
        } else {
            (0, 0)
        };
        let mut drains = 0u8;
        for dim in [OTPM, TPM] {
            if self.charge_output(now, d, dim, output, rate > 0 || remainder > 0) {
                drains |= 1 << dim;
            }
        }
        if let Some(l) = &mut self.limiters[COMMIT] {
            // Hold the estimate back now; settle to the actual output at
            // the end.
            let estimate = d.output_estimate.max(1);
            l.debit(now, estimate);
            let adj = match output.cmp(&estimate) {
                std::cmp::Ordering::Less => Some(Adjustment::Credit {
                    dim: COMMIT as u8,
                    units: estimate - output,
                    charged_at: now,
                }),
                std::cmp::Ordering::Greater => Some(Adjustment::Debit {
                    dim: COMMIT as u8,
                    units: output - estimate,
                }),
                std::cmp::Ordering::Equal => None,
            };
            if let Some(adj) = adj {
                self.push(d.finish, adj);
            }
        }
        self.in_flight += 1;
        if drains != 0 {
            self.push(start, Adjustment::StartDrain { drains, rate });
        }
        self.push(
            d.finish,
            Adjustment::Finish {
                drains,
                rate,
                remainder,
            },
        );
    }

    /// Charges the output part of a request to `dim` (OTPM or TPM) under the
    /// pool's OTPM rule. True when the caller must drain it over generation
    /// (`spread`: generation takes time and there is output to spread).
    fn charge_output(
        &mut self,
        now: SimTime,
        d: &Demand,
        dim: usize,
        output: u64,
        spread: bool,
    ) -> bool {
        match (self.accounting, &mut self.limiters[dim]) {
            (_, None) => false,
            (OtpmAccounting::ReserveMaxTokens, Some(l)) => {
                l.debit(now, d.max_tokens);
                let refund = d.max_tokens - output;
                if refund > 0 {
                    self.push(
                        d.finish,
                        Adjustment::Credit {
                            dim: dim as u8,
                            units: refund,
                            charged_at: now,
                        },
                    );
                }
                false
            }
            (OtpmAccounting::Realtime, Some(l @ Limiter::Bucket(_))) => {
                if d.finish == d.generation_start.max(now).min(d.finish) {
                    l.debit(now, output); // nothing to spread over
                    false
                } else {
                    spread
                }
            }
            (OtpmAccounting::Realtime, Some(_)) => {
                // Windows count output tokens when they have been generated.
                self.push(
                    d.finish,
                    Adjustment::Debit {
                        dim: dim as u8,
                        units: output,
                    },
                );
                false
            }
        }
    }

    /// When `dimension`'s limiter will be fully replenished (its `-reset`
    /// header); `None` for a dimension the pool does not limit.
    pub fn reset_at(&mut self, now: SimTime, dimension: Dimension) -> Option<SimTime> {
        self.advance(now);
        let i = Dimension::ALL.iter().position(|d| *d == dimension)?;
        self.limiters.get_mut(i)?.as_mut().map(|l| l.reset_at(now))
    }

    /// The rate-limit headers as of `now`.
    pub fn headers(&mut self, now: SimTime) -> RateLimitHeaders {
        self.advance(now);
        let mut h = |i: usize, round: bool| {
            self.limiters[i].as_mut().map(|l| {
                let remaining = l.remaining(now);
                LimitHeader {
                    limit: l.limit(),
                    remaining: if round {
                        round_to_thousand(remaining)
                    } else {
                        remaining
                    },
                    reset: l.reset_at(now),
                }
            })
        };
        let requests = h(RPM, false);
        let input_raw = h(ITPM, false);
        let output_raw = h(OTPM, false);
        let round = |x: Option<LimitHeader>| {
            x.map(|mut x| {
                x.remaining = round_to_thousand(x.remaining);
                x
            })
        };
        let combined = h(TPM, true);
        let tokens = match (input_raw, output_raw) {
            _ if combined.is_some() => combined,
            (Some(i), Some(o)) => Some(LimitHeader {
                limit: i.limit + o.limit,
                remaining: round_to_thousand(i.remaining + o.remaining),
                reset: i.reset.max(o.reset),
            }),
            (Some(x), None) | (None, Some(x)) => round(Some(x)),
            (None, None) => None,
        };
        RateLimitHeaders {
            requests,
            input_tokens: round(input_raw),
            output_tokens: round(output_raw),
            tokens,
        }
    }

    fn push(&mut self, time: SimTime, adj: Adjustment) {
        let seq = self.seq;
        self.seq += 1;
        self.next_due = self.next_due.min(time);
        self.pending.push(Reverse(Pending { time, seq, adj }));
    }

    /// Applies every adjustment due at or before `now`.
    #[inline]
    fn advance(&mut self, now: SimTime) {
        if now >= self.next_due {
            self.apply_due(now);
        }
    }

    fn apply_due(&mut self, now: SimTime) {
        while let Some(Reverse(p)) = self.pending.peek() {
            if p.time > now {
                self.next_due = p.time;
                return;
            }
            let p = *p;
            self.pending.pop();
            apply(&mut self.limiters, &mut self.in_flight, p);
        }
        self.next_due = SimTime::MAX;
    }

    /// Earliest time every need fits if nothing else arrived: replays the
    /// pending adjustments on a copy of the limiters. The copy is made only
    /// once an adjustment comes due before the fit: most 429s are answered
    /// from the current state alone.
    fn earliest_fit(&mut self, now: SimTime, needs: &[Need; SLOTS]) -> Option<SimTime> {
        let mut replay: Option<Replay> = None;
        let mut t = now;
        let fit = loop {
            let (limiters, in_flight, next) = match &replay {
                None => (
                    &self.limiters,
                    self.in_flight,
                    self.pending.peek().map(|r| r.0.time),
                ),
                Some(r) => (&r.limiters, r.in_flight, r.peek()),
            };
            // With the state frozen, when would each dimension have room?
            let mut candidate = Some(t);
            let mut waiting = 0u8; // dimensions without room at `t`
            for (dim, (l, need)) in limiters.iter().zip(needs).enumerate() {
                if let Some(l) = l {
                    let wait = l.wait_static(t, *need);
                    if wait != Some(t) {
                        waiting |= 1 << dim;
                    }
                    candidate = match (candidate, wait) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
            }
            if self.max_concurrent.is_some_and(|m| in_flight >= m) {
                candidate = None;
            }
            match (candidate, next) {
                (Some(c), _) if c == t => break Some(c),
                // If no level can fall, everything still fits at `c`.
                (Some(c), next)
                    if next.is_none_or(|n| c < n)
                        && limiters.iter().flatten().all(Limiter::never_falls) =>
                {
                    break Some(c);
                }
                (Some(c), Some(_))
                    if replay.is_none() && self.pending_cannot_move(c, needs, waiting) =>
                {
                    break Some(c);
                }
                // A level under a net drain falls while the others refill:
                // it may no longer fit at `c`, so look again there.
                (Some(c), Some(n)) if c < n => t = c,
                (Some(c), None) => t = c,
                (_, Some(n)) => {
                    let r = replay.get_or_insert_with(|| {
                        let buf = std::mem::take(&mut self.scratch);
                        Replay::new(self, buf)
                    });
                    // Apply everything due at `n`, then look again.
                    while let Some(&p) = r.pending.get(r.next) {
                        if p.time != n {
                            break;
                        }
                        r.next += 1;
                        apply(&mut r.limiters, &mut r.in_flight, p);
                    }
                    t = n;
                }
                (None, None) => break None,
            }
        };
        if let Some(r) = replay {
            // Keep the allocation for the next replay.
            self.scratch = r.pending;
        }
        fit
    }
}

impl Pool {
    /// Whether the adjustments due by `c` leave `c` the earliest fit found
    /// with the state frozen, so no replay is needed. True when none touches
    /// a dimension in `waiting` (those keep their frozen path, so none fits
    /// before `c`), and the most they could take from every other dimension
    /// by `c` (drains started at full rate, remainders, window debits; what
    /// they give back is ignored) still leaves it room at `c`, on top of
    /// whatever its current drains take. Refunds and releases only help a
    /// dimension that already fits.
    fn pending_cannot_move(&self, c: SimTime, needs: &[Need; SLOTS], waiting: u8) -> bool {
        let mut taken = [0i128; SLOTS];
        for Reverse(p) in self.pending.iter().filter(|r| r.0.time <= c) {
            let (dims, units) = match p.adj {
                Adjustment::Finish {
                    drains, remainder, ..
                } => (drains, remainder),
                Adjustment::StartDrain { drains, rate } => {
                    (drains, rate * (c.as_nanos() - p.time.as_nanos()) as i128)
                }
                Adjustment::Credit { dim, .. } => (1 << dim, 0),
                Adjustment::Debit { dim, units } => (1 << dim, units as i128 * SCALE),
            };
            if dims & waiting != 0 {
                return false;
            }
            for (d, t) in taken.iter_mut().enumerate() {
                if dims & (1 << d) != 0 {
                    *t += units;
                }
            }
        }
        self.limiters
            .iter()
            .zip(needs)
            .zip(taken)
            .all(|((l, need), taken)| match l {
                // Under a net drain a level falls even with nothing due.
                Some(Limiter::Bucket(b)) => b.level_at(c) - taken >= scaled(*need),
                // A window only forgets by itself; what is charged to it
                // does not simply add up: replay it.
                Some(_) => taken == 0,
                None => true,
            })
    }
}

/// A private copy of a pool's state for [`Pool::earliest_fit`] to run forward.
struct Replay {
    limiters: [Option<Limiter>; SLOTS],
    in_flight: u64,
    /// The pending adjustments in the order they apply (sorting a handful
    /// once is cheaper than popping them from a heap), from `next` on.
    pending: Vec<Pending>,
    next: usize,
}

impl Replay {
    /// A copy of `pool`'s state, in `buf`'s allocation.
    fn new(pool: &Pool, mut buf: Vec<Pending>) -> Replay {
        buf.clear();
        buf.extend(pool.pending.iter().map(|r| r.0));
        buf.sort_unstable();
        Replay {
            limiters: pool.limiters.clone(),
            in_flight: pool.in_flight,
            pending: buf,
            next: 0,
        }
    }

    fn peek(&self) -> Option<SimTime> {
        self.pending.get(self.next).map(|p| p.time)
    }
}

fn apply(limiters: &mut [Option<Limiter>; SLOTS], in_flight: &mut u64, p: Pending) {
    match p.adj {
        Adjustment::Finish {
            drains,
            rate,
            remainder,
        } => {
            *in_flight -= 1;
            for_each_drain(limiters, drains, |b| {
                b.stop_drain(p.time, rate);
                b.debit(p.time, remainder);
            });
        }
        Adjustment::Credit {
            dim,
            units,
            charged_at,
        } => {
            if let Some(l) = &mut limiters[dim as usize] {
                l.credit(p.time, units, charged_at);
            }
        }
        Adjustment::Debit { dim, units } => {
            if let Some(l) = &mut limiters[dim as usize] {
                l.debit(p.time, units);
            }
        }
        Adjustment::StartDrain { drains, rate } => {
            for_each_drain(limiters, drains, |b| b.start_drain(p.time, rate));
        }
    }
}

/// Runs `f` on the bucket of every dimension whose bit is set in `drains`.
fn for_each_drain(
    limiters: &mut [Option<Limiter>; SLOTS],
    drains: u8,
    mut f: impl FnMut(&mut TokenBucket),
) {
    for (dim, l) in limiters.iter_mut().enumerate() {
        if drains & (1 << dim) != 0
            && let Some(b) = l.as_mut().and_then(Limiter::as_bucket_mut)
        {
            f(b);
        }
    }
}
