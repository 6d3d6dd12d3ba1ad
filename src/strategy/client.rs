use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand_chacha::ChaCha8Rng;

use super::aimd::AimdLimit;
use super::budget::RetryBudget;
use super::pacing::{Cost, Pacer};
use super::routing::Router;
use super::{Concurrency, QueueDiscipline, StrategySpec, sdk};
use crate::engine::SimTime;
use crate::model::{PoolLimits, Response, Status};

/// A request handed to the client: what a caller knows before sending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientRequest {
    /// Caller's handle for the request.
    pub id: u32,
    /// Model the next attempt goes to (routing may change it).
    pub model: u16,
    /// Pool that model belongs to.
    pub pool: u16,
    /// Priority class (0 is the most important).
    pub class: u8,
    /// Arrival time of the logical request (retries keep it).
    pub arrival: SimTime,
    /// Arrival sequence number, to break ties.
    pub seq: u64,
    /// All input tokens, cached or not (the client cannot know hits ahead).
    pub input_tokens: u64,
    /// `max_tokens`.
    pub max_tokens: u64,
}

/// What the client wants to do next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Send this request now; `cost` is what the pacer charged for it.
    Send {
        /// The request.
        request: ClientRequest,
        /// The pacer's estimate, to hand back with the response.
        cost: Cost,
    },
    /// The client rejected this request locally (adaptive throttling): it was
    /// not sent. Hand it to [`Client::on_throttled`] for its fate.
    Throttled {
        /// The request.
        request: ClientRequest,
    },
    /// The client dropped this request unsent: it waited longer than the
    /// queue's `shed` age and can no longer be useful.
    Shed {
        /// The request.
        request: ClientRequest,
    },
    /// Nothing can go before this time.
    Wait(SimTime),
    /// Nothing to do until a response or an arrival.
    Idle,
}

/// What to do with a request after a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// It succeeded.
    Done,
    /// Re-queue it after this delay (back on its primary model).
    Retry(SimTime),
    /// Re-queue it at once for this fallback model.
    Reroute(u16),
    /// Stop trying.
    GiveUp,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    rank: u8,
    arrival: SimTime,
    seq: u64,
}

/// Where a request waits in a queue of this discipline (smallest first).
fn key_of(queue: QueueDiscipline, r: &ClientRequest) -> Key {
    match queue {
        QueueDiscipline::Fifo => Key {
            rank: 0,
            arrival: r.arrival,
            seq: r.seq,
        },
        QueueDiscipline::Priority => Key {
            rank: r.class,
            arrival: r.arrival,
            seq: r.seq,
        },
        QueueDiscipline::Lifo => Key {
            rank: 0,
            arrival: SimTime(u64::MAX - r.arrival.as_nanos()),
            seq: u64::MAX - r.seq,
        },
    }
}

/// A running client strategy.
pub struct Client {
    spec: StrategySpec,
    queues: Vec<BinaryHeap<Reverse<(Key, u32)>>>,
    /// A [`Client::direct`] client's queue instead of `queues` and
    /// `waiting`: sorted by key, the next to go last. Every dispatch sends
    /// all of it, so it holds at most the few requests one event enqueues.
    line: Vec<(Key, ClientRequest)>,
    waiting: Vec<Vec<Option<ClientRequest>>>,
    in_flight: u32,
    queued: usize,
    pacer: Pacer,
    output_seen: Vec<(u64, u64)>,
    rng: ChaCha8Rng,
    /// The adaptive concurrency limit, when the strategy has one.
    aimd: Option<AimdLimit>,
    /// In-flight count at each request's send (itself included), by id.
    sent_in_flight: Vec<u32>,
    budget: Option<RetryBudget>,
    router: Router,
    model_pools: Vec<u16>,
    /// One queue, no pacer, no concurrency limit, no shedding: the head
    /// of the queue always goes at once, so `poll` skips the general search.
    direct: bool,
}

impl Client {
    /// A client for pools with the given (configured) limits; `rng` draws
    /// jitter. `model_pools` maps model index to pool (the client knows the
    /// catalogue); `router` applies only if the strategy enables routing.
    pub fn new(
        spec: StrategySpec,
        limits: &[PoolLimits],
        model_pools: Vec<u16>,
        router: Router,
        rng: ChaCha8Rng,
    ) -> Client {
        let direct = limits.len() == 1
            && matches!(spec.pacing, super::PacingSpec::None)
            && matches!(spec.concurrency, Concurrency::Unbounded)
            && spec.shed_older_than.is_none();
        Client {
            direct,
            router: if spec.routing {
                router
            } else {
                Router::default()
            },
            model_pools,
            pacer: Pacer::new(spec.pacing, limits),
            aimd: match spec.concurrency {
                Concurrency::Aimd(a) => Some(AimdLimit::new(a)),
                _ => None,
            },
            budget: spec.retry_budget.map(RetryBudget::new),
            spec,
            queues: vec![BinaryHeap::new(); limits.len()],
            line: Vec::new(),
            waiting: vec![Vec::new(); limits.len()],
            in_flight: 0,
            queued: 0,
            output_seen: vec![(0, 0); limits.len()],
            rng,
            sent_in_flight: Vec::new(),
        }
    }

    /// The strategy.
    pub fn spec(&self) -> &StrategySpec {
        &self.spec
    }

    /// Requests waiting in the client's queues.
    pub fn queued(&self) -> usize {
        self.queued
    }

    /// Requests sent and not yet answered.
    pub fn in_flight(&self) -> u32 {
        self.in_flight
    }

    /// Where a request waits in its queue (smallest first).
    fn key(&self, r: &ClientRequest) -> Key {
        key_of(self.spec.queue, r)
    }

    /// Puts a request (new or retried) in its queue.
    pub fn enqueue(&mut self, r: ClientRequest) {
        let key = self.key(&r);
        if self.direct {
            let at = self.line.partition_point(|(k, _)| *k > key);
            self.line.insert(at, (key, r));
            self.queued += 1;
            return;
        }
        let slots = &mut self.waiting[r.pool as usize];
        let slot = r.id as usize;
        if slots.len() <= slot {
            slots.resize(slot + 1, None);
        }
        slots[slot] = Some(r);
        self.queues[r.pool as usize].push(Reverse((key, r.id)));
        self.queued += 1;
    }

    /// Removes a queued request (deadline passed). Returns whether it was queued.
    pub fn withdraw(&mut self, pool: u16, id: u32) -> bool {
        if self.direct {
            let Some(at) = self.line.iter().position(|(_, r)| r.id == id) else {
                return false;
            };
            self.line.remove(at);
            self.queued -= 1;
            return true;
        }
        let slot = self.waiting[pool as usize].get_mut(id as usize);
        match slot {
            Some(s @ Some(_)) => {
                *s = None;
                self.queued -= 1;
                true
            }
            _ => false,
        }
    }

    fn output_estimate(&self, pool: usize, max_tokens: u64) -> u64 {
        let (sum, n) = self.output_seen[pool];
        if n == 0 {
            max_tokens
        } else {
            sum.div_ceil(n).min(max_tokens)
        }
    }

    /// The adaptive concurrency limit now, if the strategy has one.
    pub fn concurrency_limit(&self) -> Option<u32> {
        self.aimd.map(|a| a.limit())
    }

    fn permits_for(&self, class: u8) -> u32 {
        let n = match (self.spec.concurrency, self.aimd) {
            (Concurrency::Unbounded, _) => return u32::MAX,
            (_, Some(a)) => a.limit(),
            (Concurrency::Fixed(n), None) => n,
            (Concurrency::Aimd(a), None) => a.initial,
        };
        if class > 0 && self.spec.background_reserve > 0.0 {
            ((n as f64 * (1.0 - self.spec.background_reserve)).floor() as u32).max(1)
        } else {
            n
        }
    }

    /// Decides what to send next at `now`.
    #[inline]
    pub fn poll(&mut self, now: SimTime) -> Poll {
        // Nothing queued: the general search would only drop stale heads
        // (withdrawn requests), which the next non-empty poll drops anyway.
        // (Inlined, so the run's many polls of an empty queue cost a
        // comparison, not a call.)
        if self.queued == 0 {
            return Poll::Idle;
        }
        if self.direct {
            return self.poll_direct();
        }
        self.poll_search(now)
    }

    /// `poll` in general: the best ready head of every queue.
    fn poll_search(&mut self, now: SimTime) -> Poll {
        // (key, queue it waits in, its head, pool it goes to, model, cost)
        let mut best: Option<(Key, usize, ClientRequest, usize, u16, Cost)> = None;
        let mut wake = SimTime::MAX;
        for pool in 0..self.queues.len() {
            // Drop withdrawn heads; stop at the first live one.
            let head = loop {
                let Some(&Reverse((key, id))) = self.queues[pool].peek() else {
                    break None;
                };
                // A slot whose request has another sequence number was
                // withdrawn and then reused: this entry is stale, and the
                // new request waits under its own key further back.
                match self.waiting[pool][id as usize] {
                    Some(r) if self.key(&r) == key => break Some((key, r)),
                    _ => {
                        self.queues[pool].pop();
                    }
                }
            };
            let Some((key, r)) = head else {
                continue;
            };
            if let Some(age) = self.spec.shed_older_than
                && now.saturating_sub(r.arrival) > age
            {
                self.queues[pool].pop();
                self.waiting[pool][r.id as usize] = None;
                self.queued -= 1;
                return Poll::Shed { request: r };
            }
            if self.in_flight >= self.permits_for(r.class) {
                continue;
            }
            let reserve = if r.class > 0 {
                self.spec.background_reserve
            } else {
                0.0
            };
            let cost_at =
                |c: &Client, p: usize| [1, r.input_tokens, c.output_estimate(p, r.max_tokens)];
            let cost = cost_at(self, pool);
            let t = self.pacer.ready_at(now, pool, cost, reserve);
            let mut ready = (t <= now).then_some((pool, r.model, cost));
            if ready.is_none()
                && let Some(route) = self.router.route(r.class)
                && route.spill_over
                && r.model == route.primary()
            {
                // The primary's budget is spent: use a fallback that has one.
                for &m in route.fallbacks() {
                    let p = self.model_pools[m as usize] as usize;
                    let c = cost_at(self, p);
                    if self.pacer.ready_at(now, p, c, reserve) <= now {
                        ready = Some((p, m, c));
                        break;
                    }
                }
            }
            match ready {
                Some((to, model, cost)) => {
                    if best.is_none_or(|(k, ..)| key < k) {
                        best = Some((key, pool, r, to, model, cost));
                    }
                }
                None => wake = wake.min(t),
            }
        }
        match best {
            Some((_, pool, mut request, to, model, cost)) => {
                // `request` is this queue's live head: nothing has touched
                // the queue since it was peeked.
                if let Some(Reverse((_, id))) = self.queues[pool].pop() {
                    self.waiting[pool][id as usize] = None;
                }
                self.queued -= 1;
                request.model = model;
                request.pool = to as u16;
                if self.pacer.throttles(now, to, &mut self.rng) {
                    return Poll::Throttled { request };
                }
                self.in_flight += 1;
                if self.aimd.is_some() {
                    let slot = request.id as usize;
                    if self.sent_in_flight.len() <= slot {
                        self.sent_in_flight.resize(slot + 1, 0);
                    }
                    self.sent_in_flight[slot] = self.in_flight;
                }
                self.pacer.charge(now, to, cost);
                Poll::Send { request, cost }
            }
            None if wake < SimTime::MAX => Poll::Wait(wake),
            None => Poll::Idle,
        }
    }

    /// `poll` for a [`Client::direct`] client: what the general search
    /// finds there (the pacer is always ready and never throttles or
    /// charges, nothing is shed, every permit is free, so no route spills
    /// over), without the search.
    #[inline]
    fn poll_direct(&mut self) -> Poll {
        let Some((_, request)) = self.line.pop() else {
            return Poll::Idle;
        };
        self.queued -= 1;
        self.in_flight += 1;
        let cost = [
            1,
            request.input_tokens,
            self.output_estimate(0, request.max_tokens),
        ];
        Poll::Send { request, cost }
    }

    /// Takes back a request [`Poll::Send`] handed out that will not be sent
    /// after all (a shared limiter refused it, or it expired while waiting
    /// for clearance): it no longer holds a permit.
    pub fn unsend(&mut self) {
        self.in_flight -= 1;
    }

    /// The pool a model belongs to.
    pub fn pool_of(&self, model: u16) -> u16 {
        self.model_pools[model as usize]
    }

    /// The model a request of `class` should try first, given the stream's.
    pub fn primary_model(&self, class: u8, stream_model: u16) -> u16 {
        self.router
            .route(class)
            .map_or(stream_model, |r| r.primary())
    }

    /// Learns from a response and decides the request's fate. `retries` is how
    /// many retries it already had, `previous_delay` the last backoff used.
    pub fn on_response(
        &mut self,
        now: SimTime,
        request: &ClientRequest,
        cost: Cost,
        response: &Response,
        retries: u32,
        previous_delay: SimTime,
    ) -> Decision {
        self.in_flight -= 1;
        let pool = request.pool as usize;
        self.pacer.observe(now, pool, cost, response);
        if retries == 0
            && let Some(b) = &mut self.budget
        {
            b.deposit(now);
        }
        match response.status {
            Status::Ok => {
                if let Some(u) = response.usage {
                    let s = &mut self.output_seen[pool];
                    s.0 += u.output_tokens;
                    s.1 += 1;
                }
                if let Some(a) = &mut self.aimd {
                    let sent = self.sent_in_flight.get(request.id as usize);
                    a.on_success(sent.copied().unwrap_or(self.in_flight + 1));
                }
                Decision::Done
            }
            Status::TooLarge(_) | Status::InvalidRequest(_) => Decision::GiveUp,
            Status::RateLimited(_) | Status::Overloaded => {
                if let Some(a) = &mut self.aimd {
                    a.on_drop();
                }
                // The provider sends `x-should-retry: true` on every 429 and
                // 529; `false` means the server said not to retry.
                if !response.should_retry {
                    return Decision::GiveUp;
                }
                if let Some(route) = self.router.route(request.class) {
                    let wanted = match response.status {
                        Status::Overloaded => route.on_529,
                        _ => route.on_429,
                    };
                    if wanted && let Some(next) = route.next_after(request.model) {
                        return Decision::Reroute(next);
                    }
                }
                // `retry-after-ms` first, then `retry-after` (the SDK's order).
                let retry_after =
                    sdk::parse_retry_after(response.retry_after_ms, response.retry_after_s);
                self.retry(now, retries, previous_delay, retry_after)
            }
        }
    }

    /// Decides the fate of a request the client rejected locally
    /// ([`Poll::Throttled`]): the retry policy treats it as an error without
    /// `retry-after`, so it backs off (and draws on the retry budget).
    pub fn on_throttled(
        &mut self,
        now: SimTime,
        request: &ClientRequest,
        retries: u32,
        previous_delay: SimTime,
    ) -> Decision {
        self.on_denied(now, request, retries, previous_delay, None)
    }

    /// Decides the fate of a request a shared limiter denied (it was not
    /// sent): the retry policy treats it as a 429 with the limiter's hint
    /// as `retry-after`, if it gave one.
    pub fn on_denied(
        &mut self,
        now: SimTime,
        _request: &ClientRequest,
        retries: u32,
        previous_delay: SimTime,
        retry_after: Option<SimTime>,
    ) -> Decision {
        if retries == 0
            && let Some(b) = &mut self.budget
        {
            b.deposit(now);
        }
        self.retry(now, retries, previous_delay, retry_after)
    }

    fn retry(
        &mut self,
        now: SimTime,
        retries: u32,
        previous_delay: SimTime,
        retry_after: Option<SimTime>,
    ) -> Decision {
        let Some(d) = self
            .spec
            .retry
            .delay(retries, previous_delay, retry_after, &mut self.rng)
        else {
            return Decision::GiveUp;
        };
        // The budget is consulted only for a retry the policy would make.
        let allowed = self.budget.as_mut().is_none_or(|b| b.withdraw(now));
        if allowed {
            Decision::Retry(d)
        } else {
            Decision::GiveUp
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;
    use crate::strategy::Preset;

    fn request(id: u32, seq: u64, arrival_s: u64) -> ClientRequest {
        ClientRequest {
            id,
            model: 0,
            pool: 0,
            class: 0,
            arrival: SimTime::from_secs(arrival_s),
            seq,
            input_tokens: 100,
            max_tokens: 100,
        }
    }

    fn sent(client: &mut Client, now: SimTime) -> u64 {
        match client.poll(now) {
            Poll::Send { request, .. } => request.seq,
            other => panic!("expected a send, got {other:?}"),
        }
    }

    fn client_with(spec: StrategySpec) -> Client {
        Client::new(
            spec,
            &[PoolLimits::default()],
            vec![0],
            Router::default(),
            ChaCha8Rng::seed_from_u64(1),
        )
    }

    #[test]
    fn lifo_sends_the_newest_first_and_priority_still_ranks_by_class() {
        let mut client = client_with(StrategySpec {
            queue: QueueDiscipline::Lifo,
            ..Preset::NaiveRetry.spec()
        });
        for i in 0..4 {
            client.enqueue(request(i, i as u64, i as u64));
        }
        // A withdrawn request is skipped, in LIFO order as in FIFO.
        assert!(client.withdraw(0, 2));
        let now = SimTime::from_secs(5);
        let order: Vec<u64> = (0..3).map(|_| sent(&mut client, now)).collect();
        assert_eq!(order, [3, 1, 0]);
    }

    #[test]
    fn shed_drops_requests_older_than_its_age_and_sends_the_rest() {
        let mut client = client_with(StrategySpec {
            shed_older_than: Some(SimTime::from_secs(20)),
            ..Preset::NaiveRetry.spec()
        });
        client.enqueue(request(0, 0, 0));
        client.enqueue(request(1, 1, 5));
        client.enqueue(request(2, 2, 10));
        // At 25 s: the first (25 s old) and second (20 s: not older than
        // 20 s) — only the first is dropped.
        let now = SimTime::from_secs(25);
        match client.poll(now) {
            Poll::Shed { request } => assert_eq!(request.seq, 0),
            other => panic!("expected a shed, got {other:?}"),
        }
        assert_eq!(sent(&mut client, now), 1);
        assert_eq!(sent(&mut client, now), 2);
        assert_eq!(client.queued(), 0);
        assert_eq!(client.in_flight(), 2);
    }

    #[test]
    fn a_per_fleet_budget_is_split_across_replicas() {
        let mut spec = Preset::PriorityQueue.spec();
        spec.fleet.replicas = 4;
        assert_eq!(spec.per_replica(), spec, "per_fleet off: unchanged");
        spec.fleet.per_fleet = true;
        let r = spec.per_replica();
        assert_eq!(
            r.pacing,
            crate::strategy::PacingSpec::TokenBucket { fraction: 0.225 }
        );
        assert_eq!(r.concurrency, crate::strategy::Concurrency::Fixed(4));
        spec.fleet.replicas = 40;
        assert_eq!(
            spec.per_replica().concurrency,
            crate::strategy::Concurrency::Fixed(1),
            "a cap never falls below one permit"
        );
    }

    #[test]
    fn a_reused_slot_waits_behind_older_requests() {
        let mut client = Client::new(
            Preset::NaiveRetry.spec(),
            &[PoolLimits::default()],
            vec![0],
            Router::default(),
            ChaCha8Rng::seed_from_u64(1),
        );
        // A (slot 0) and B (slot 1) queue; A is withdrawn at its deadline
        // and C, arriving last, reuses slot 0.
        client.enqueue(request(0, 0, 0));
        client.enqueue(request(1, 1, 1));
        assert!(client.withdraw(0, 0));
        client.enqueue(request(0, 2, 2));
        assert_eq!(client.queued(), 2);
        // First come, first served: B before C, whatever A's old place.
        let now = SimTime::from_secs(3);
        assert_eq!(sent(&mut client, now), 1);
        assert_eq!(sent(&mut client, now), 2);
        assert_eq!(client.queued(), 0);
        assert!(matches!(client.poll(now), Poll::Idle));
    }
}
