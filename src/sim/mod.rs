//! One simulated run: the workload, a client strategy and the provider wired
//! onto the event engine.

mod batch;
pub mod seed;

use rand::distr::Distribution;
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;

use crate::engine::{EventId, EventQueue, SimTime};
use crate::metrics::{
    Failure, ReplicaMetrics, RunMetrics, Series, Slo, SloRule, Tokens, record_us,
};
use crate::model::{
    Attempt, BatchApi, BatchSubmit, Dimension, PoolLimits, Provider, ProviderConfig, Response,
    Status,
};
use crate::strategy::{
    Balancer, BatchOffload, Clearance, Client, ClientRequest, Coordination, Cost, Decision, Poll,
    Router, SharedLimiter, StrategySpec,
};
use crate::workload::{LogicalRequest, StreamGen, StreamSpec, WorkloadError};

/// Everything a run needs besides the strategy.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Master seed.
    pub seed: u64,
    /// Arrivals stop at this time.
    pub horizon: SimTime,
    /// Extra time after the horizon for in-flight work to finish.
    pub drain: SimTime,
    /// The provider.
    pub provider: ProviderConfig,
    /// The workload.
    pub streams: Vec<StreamSpec>,
    /// Names of the priority classes, most important first.
    pub classes: Vec<String>,
    /// Limits the client is configured with, per pool (for client-side buckets).
    pub client_limits: Vec<PoolLimits>,
    /// Sigma of the lognormal noise on service time (0: none).
    pub latency_noise_sigma: f64,
    /// Model routing by class (used by strategies with routing enabled).
    pub router: Router,
    /// The service level each class is judged by, if the scenario sets one.
    pub slo: Option<Slo>,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    Arrival(u16),
    Wake(u32),
    Response(u32),
    /// A shared limiter's answer arrived: send the request now.
    Cleared(u32),
    /// A shared limiter's answer arrived: do not send (the hint is in
    /// `Live::denied`).
    Denied(u32),
    RetryReady(u32),
    Deadline(u32, u32),
    BatchFlush(u16),
    BatchDone(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Queued,
    /// Handed out by the client, waiting for a shared limiter's clearance.
    Clearing,
    InFlight,
    Backoff,
    /// Waiting in a batch (gathering or processing).
    Batched,
}

struct Live {
    req: LogicalRequest,
    client: ClientRequest,
    /// The model routing chose first (the stream's, without a route).
    primary: u16,
    /// The client (workspace and replica) that owns it for its whole life.
    k: u32,
    phase: Phase,
    /// When it last joined the client's queue (arrival, end of a backoff,
    /// reroute).
    queued_at: SimTime,
    retries: u32,
    previous_delay: SimTime,
    cost: Cost,
    response: Option<Response>,
    service_factor: f64,
    expired: bool,
    retry_event: Option<EventId>,
    deadline_event: Option<EventId>,
    /// A shared limiter's `retry-after` hint for a denied attempt.
    denied: Option<SimTime>,
}

struct Slot {
    generation: u32,
    live: Option<Live>,
}

// Invariant: a request id is referenced (by an event, a client queue, a
// gathering or an accepted batch) only while its slot holds `Some`, so the
// three accessors below never find it empty. `arrive` fills the slot before handing the id out, and
// `close` empties it after the last reference is cancelled or consumed;
// deadline events, which may outlive the request, check the generation and
// tolerate an empty slot instead.

/// The live request in slot `id`.
#[allow(clippy::expect_used)]
#[inline]
fn live_ref(slots: &[Slot], id: u32) -> &Live {
    slots[id as usize]
        .live
        .as_ref()
        .expect("id of a live request")
}

/// The live request in slot `id`, mutably.
#[allow(clippy::expect_used)]
#[inline]
fn live_mut(slots: &mut [Slot], id: u32) -> &mut Live {
    slots[id as usize]
        .live
        .as_mut()
        .expect("id of a live request")
}

/// Takes the request out of slot `id`, ending it.
#[allow(clippy::expect_used)]
#[inline]
fn take_live(slots: &mut [Slot], id: u32) -> Live {
    slots[id as usize]
        .live
        .take()
        .expect("id of a live request")
}

/// The state of one run.
struct Run {
    queue: EventQueue<Event>,
    provider: Provider,
    /// One client per workspace key (index 0: no workspace) and replica, at
    /// `workspace key × replicas + replica`: each team runs its own fleet,
    /// each replica with its own queue, pacing and timers.
    clients: Vec<Client>,
    /// Replicas per fleet.
    replicas: u32,
    /// Per workspace key, which replica a new request lands on.
    balancers: Vec<Balancer>,
    /// Per workspace key, the fleet's central limiter, if it has one.
    limiters: Vec<Option<SharedLimiter>>,
    /// Clients touched since the last dispatch (fleets only: a single
    /// client per workspace is polled after every event, as it always was).
    dirty: Vec<u32>,
    is_dirty: Vec<bool>,
    /// Per client, its load (queued, in flight) at the last dispatch, so
    /// fleet totals and the balancer follow changes without a scan.
    loads: Vec<(u32, u32)>,
    queued_total: u64,
    in_flight_total: u64,
    streams: Vec<StreamGen>,
    noise: Vec<(ChaCha8Rng, Option<LogNormal<f64>>)>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    wakes: Vec<Option<(SimTime, EventId)>>,
    /// The Message Batches API (provider side), if the profile has one.
    batch_api: Option<BatchApi>,
    /// The strategy's batch offload, if any.
    offload: Option<BatchOffload>,
    /// Requests gathering into the next batch, per model.
    gathering: Vec<Vec<u32>>,
    flush_events: Vec<Option<(SimTime, EventId)>>,
    /// Submitted batches: their requests and how many of them (in order)
    /// complete before the expiry.
    batches: Vec<Option<(Vec<u32>, u64)>>,
    /// Draws which batch requests read their prefix from the cache.
    batch_cache_rng: ChaCha8Rng,
    free_batches: Vec<u32>,
    next_seq: u64,
    metrics: RunMetrics,
    /// Each class's SLO rule (empty: the scenario sets none).
    slo_rules: Vec<Option<SloRule>>,
}

/// Per dimension, the smaller of two sets of limits.
fn tighter(a: &PoolLimits, b: &PoolLimits) -> PoolLimits {
    let min = |x: Option<u64>, y: Option<u64>| match (x, y) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    PoolLimits {
        rpm: min(a.rpm, b.rpm),
        itpm: min(a.itpm, b.itpm),
        otpm: min(a.otpm, b.otpm),
        tpm: min(a.tpm, b.tpm),
        max_concurrent: min(a.max_concurrent, b.max_concurrent),
    }
}

fn fleet_of(workspace: Option<u16>) -> usize {
    workspace.map_or(0, |w| w as usize + 1)
}

/// Why a run could not start. A scenario that loaded has been checked for
/// all of these; they reach a caller only for a [`SimConfig`] built or
/// edited in code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A stream's token distributions or prompt cache cannot be sampled.
    #[error(transparent)]
    Workload(#[from] WorkloadError),
    /// `latency_noise_sigma` is negative or not finite.
    #[error("latency noise: {0}")]
    LatencyNoise(#[source] rand_distr::NormalError),
}

/// Simulates `strategy` against the scenario in `cfg`.
pub fn run(cfg: &SimConfig, strategy: &StrategySpec) -> Result<RunMetrics, SimError> {
    let mut streams = Vec::with_capacity(cfg.streams.len());
    let mut noise = Vec::with_capacity(cfg.streams.len());
    for (i, s) in cfg.streams.iter().enumerate() {
        let arrivals = seed::stream(cfg.seed, &format!("stream/{}/arrivals", s.name));
        let sizes = seed::stream(cfg.seed, &format!("stream/{}/sizes", s.name));
        streams.push(StreamGen::new(
            i as u16,
            s.clone(),
            cfg.horizon,
            arrivals,
            sizes,
        )?);
        let dist = (cfg.latency_noise_sigma > 0.0)
            .then(|| LogNormal::new(0.0, cfg.latency_noise_sigma))
            .transpose()
            .map_err(SimError::LatencyNoise)?;
        noise.push((
            seed::stream(cfg.seed, &format!("stream/{}/latency", s.name)),
            dist,
        ));
    }
    let mut provider_cfg = cfg.provider.clone();
    provider_cfg.overload = provider_cfg.overload.realise(
        &mut seed::stream(cfg.seed, "provider/overload-episodes"),
        cfg.horizon + cfg.drain,
    );
    let mut provider = Provider::new(provider_cfg, seed::stream(cfg.seed, "provider/overload"));
    provider.send_rate_limit_headers(strategy.reads_rate_limit_headers());
    provider.send_retry_after(strategy.reads_retry_after());
    let model_pools: Vec<u16> = cfg.provider.models.iter().map(|m| m.pool as u16).collect();
    let replicas = strategy.fleet.replicas.max(1);
    let replica = strategy.per_replica();
    // Fleet key 0 is the organisation's client; then one per workspace.
    // A team's client is configured with its workspace's caps where they
    // are tighter than the organisation's.
    let mut fleets: Vec<(String, Vec<PoolLimits>)> =
        vec![("client/jitter".to_string(), cfg.client_limits.clone())];
    for w in &cfg.provider.workspaces {
        let limits: Vec<PoolLimits> = cfg
            .client_limits
            .iter()
            .zip(&w.limits)
            .map(|(org, ws)| tighter(org, ws))
            .collect();
        fleets.push((format!("client/jitter/{}", w.name), limits));
    }
    let mut clients = Vec::with_capacity(fleets.len() * replicas as usize);
    let mut balancers = Vec::with_capacity(fleets.len());
    let mut limiters = Vec::with_capacity(fleets.len());
    for (stream, limits) in &fleets {
        for r in 0..replicas {
            // Every strategy draws its jitter from the same stream (common
            // random numbers): two strategies that differ in one setting
            // differ in outcome because of that setting, not because of
            // their names. Replica 0 keeps the single client's stream.
            let name = if r == 0 {
                stream.clone()
            } else {
                format!("{stream}/replica/{r}")
            };
            clients.push(Client::new(
                replica.clone(),
                limits,
                model_pools.clone(),
                cfg.router.clone(),
                seed::stream(cfg.seed, &name),
            ));
        }
        balancers.push(Balancer::new(
            strategy.fleet,
            seed::stream(cfg.seed, &format!("{stream}/balance")),
        ));
        limiters.push(match &strategy.coordination {
            Coordination::None => None,
            Coordination::SharedLimiter(l) => Some(SharedLimiter::new(l.clone(), limits)),
        });
    }
    let wakes = vec![None; clients.len()];
    let n_clients = clients.len();
    let mut run = Run {
        queue: EventQueue::new(),
        provider,
        clients,
        replicas,
        balancers,
        limiters,
        dirty: Vec::new(),
        is_dirty: vec![false; n_clients],
        loads: vec![(0, 0); n_clients],
        queued_total: 0,
        in_flight_total: 0,
        streams,
        noise,
        slots: Vec::new(),
        free: Vec::new(),
        wakes,
        batch_api: cfg
            .provider
            .batch
            .map(|b| BatchApi::new(b, seed::stream(cfg.seed, "provider/batch"))),
        offload: strategy.batch_offload,
        gathering: vec![Vec::new(); cfg.provider.models.len()],
        flush_events: vec![None; cfg.provider.models.len()],
        batches: Vec::new(),
        batch_cache_rng: seed::stream(cfg.seed, "provider/batch-cache"),
        free_batches: Vec::new(),
        next_seq: 0,
        metrics: RunMetrics::new(cfg.classes.len(), cfg.provider.models.len()),
        slo_rules: cfg.slo.as_ref().map_or_else(Vec::new, |s| s.rules.clone()),
    };
    for (i, s) in run.streams.iter().enumerate() {
        if let Some(t) = s.peek() {
            run.queue.schedule(t, Event::Arrival(i as u16));
        }
    }
    let end = cfg.horizon + cfg.drain;
    run.metrics.series = Series::new(end, cfg.provider.pools.len());
    if replicas > 1 {
        run.metrics.by_replica = vec![ReplicaMetrics::default(); replicas as usize];
    }
    while let Some((now, ev)) = run.queue.pop_until(end) {
        run.handle(now, ev);
    }
    run.finish();
    Ok(run.metrics)
}

impl Run {
    fn handle(&mut self, now: SimTime, ev: Event) {
        match ev {
            Event::Arrival(s) => self.arrive(now, s),
            Event::Wake(c) => {
                self.wakes[c as usize] = None;
                self.touch(c);
            }
            Event::Response(id) => self.respond(now, id),
            Event::Cleared(id) => self.cleared(now, id),
            Event::Denied(id) => self.denied(now, id),
            Event::RetryReady(id) => {
                let live = live_mut(&mut self.slots, id);
                live.retry_event = None;
                live.phase = Phase::Queued;
                live.queued_at = now;
                let k = live.k as usize;
                // A retry starts again from the primary model.
                live.client.model = live.primary;
                live.client.pool = self.clients[k].pool_of(live.primary);
                let c = live.client;
                self.clients[k].enqueue(c);
                self.touch(k as u32);
            }
            Event::Deadline(id, generation) => self.expire(now, id, generation),
            Event::BatchFlush(model) => self.flush(now, model as usize),
            Event::BatchDone(b) => self.batch_done(now, b),
        }
        self.dispatch(now);
    }

    fn arrive(&mut self, now: SimTime, s: u16) {
        let stream = &mut self.streams[s as usize];
        let Some(req) = stream.next_request() else {
            return;
        };
        if let Some(t) = stream.peek() {
            self.queue.schedule(t, Event::Arrival(s));
        }
        let (rng, dist) = &mut self.noise[s as usize];
        let service_factor = dist.as_ref().map_or(1.0, |d| d.sample(rng));
        let fleet = fleet_of(req.workspace);
        let replica = self.balancers[fleet].pick();
        let k = fleet * self.replicas as usize + replica as usize;
        let primary = self.clients[k].primary_model(req.class, req.model);
        let id = match self.free.pop() {
            Some(id) => id,
            None => {
                self.slots.push(Slot {
                    generation: 0,
                    live: None,
                });
                (self.slots.len() - 1) as u32
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        let client = ClientRequest {
            id,
            model: primary,
            pool: self.clients[k].pool_of(primary),
            class: req.class,
            arrival: req.arrival,
            seq,
            input_tokens: req.input_tokens
                + req.cache_read_tokens
                + req.cache_write_tokens
                + req.prefix.map_or(0, |p| p.tokens),
            max_tokens: req.max_tokens,
        };
        let slot = &mut self.slots[id as usize];
        slot.generation = slot.generation.wrapping_add(1);
        let generation = slot.generation;
        let stream_batch = self.streams[req.stream as usize].spec().batch;
        let offload = match (stream_batch, self.offload) {
            (true, o) => Some(o.unwrap_or_default()),
            (false, Some(o)) if req.class >= o.from_class => Some(o),
            _ => None,
        }
        .filter(|_| self.batch_api.is_some());
        // Batched work is background work: it has no client deadline.
        let deadline_event = req
            .deadline
            .filter(|_| offload.is_none())
            .map(|d| self.queue.schedule(d, Event::Deadline(id, generation)));
        self.slots[id as usize].live = Some(Live {
            req,
            client,
            primary,
            k: k as u32,
            phase: Phase::Queued,
            queued_at: now,
            retries: 0,
            previous_delay: SimTime::ZERO,
            cost: [0; 3],
            response: None,
            service_factor,
            expired: false,
            retry_event: None,
            deadline_event,
            denied: None,
        });
        self.metrics.classes[req.class as usize].requests += 1;
        if let Some(m) = self.metrics.by_replica.get_mut(replica as usize) {
            m.requests += 1;
        }
        match offload {
            Some(o) => self.gather(now, id, o),
            None => {
                self.clients[k].enqueue(client);
                self.touch(k as u32);
            }
        }
    }

    /// Marks a fleet's replica for polling at the next dispatch.
    fn touch(&mut self, k: u32) {
        if self.replicas > 1 && !self.is_dirty[k as usize] {
            self.is_dirty[k as usize] = true;
            self.dirty.push(k);
        }
    }

    fn dispatch(&mut self, now: SimTime) {
        let (q, f) = if self.clients.len() == 1 {
            // One client (no workspaces, one replica): as below, without
            // the loop and the fold.
            self.dispatch_client(now, 0);
            let c = &self.clients[0];
            (c.queued() as u64, c.in_flight() as u64)
        } else if self.replicas == 1 {
            for k in 0..self.clients.len() {
                self.dispatch_client(now, k);
            }
            self.clients.iter().fold((0, 0), |(q, f), c| {
                (q + c.queued() as u64, f + c.in_flight() as u64)
            })
        } else {
            // Only the replicas an event touched can have anything new to
            // do: an untouched one is idle or has its wake-up scheduled.
            let mut dirty = std::mem::take(&mut self.dirty);
            dirty.sort_unstable();
            for &k in &dirty {
                self.dispatch_client(now, k as usize);
            }
            for &k in &dirty {
                let c = &self.clients[k as usize];
                let load = (c.queued() as u32, c.in_flight());
                let old = std::mem::replace(&mut self.loads[k as usize], load);
                self.queued_total = self.queued_total + load.0 as u64 - old.0 as u64;
                self.in_flight_total = self.in_flight_total + load.1 as u64 - old.1 as u64;
                let (fleet, replica) = (k / self.replicas, k % self.replicas);
                self.balancers[fleet as usize].set_load(replica, load.0 + load.1);
                self.is_dirty[k as usize] = false;
            }
            dirty.clear();
            // Keep the allocation; anything touched meanwhile is in `self.dirty`.
            if self.dirty.is_empty() {
                self.dirty = dirty;
            }
            (self.queued_total, self.in_flight_total)
        };
        self.metrics.peak_queue = self.metrics.peak_queue.max(q);
        self.metrics.peak_in_flight = self.metrics.peak_in_flight.max(f);
        let provider = &mut self.provider;
        self.metrics
            .series
            .sample(now, q, |p| provider.pool_mut(p).in_flight(now));
    }

    fn dispatch_client(&mut self, now: SimTime, k: usize) {
        loop {
            match self.clients[k].poll(now) {
                Poll::Send { request, cost } => self.clear(now, k, request, cost),
                Poll::Throttled { request } => self.throttled(now, request.id),
                Poll::Shed { request } => self.close(request.id, Err(Failure::Shed)),
                Poll::Wait(t) => {
                    match self.wakes[k] {
                        Some((wt, _)) if wt <= t => {}
                        other => {
                            if let Some((_, id)) = other {
                                self.queue.cancel(id);
                            }
                            let id = self.queue.schedule(t, Event::Wake(k as u32));
                            self.wakes[k] = Some((t, id));
                        }
                    }
                    break;
                }
                Poll::Idle => break,
            }
        }
    }

    /// Asks the fleet's shared limiter, if any, before the request goes out.
    fn clear(&mut self, now: SimTime, k: usize, request: ClientRequest, cost: Cost) {
        let fleet = k / self.replicas as usize;
        let Some(limiter) = &mut self.limiters[fleet] else {
            return self.send(now, request, cost);
        };
        let id = request.id;
        let clearance = limiter.acquire(now, request.pool as usize, cost);
        let live = live_mut(&mut self.slots, id);
        // The client may have routed it to another model (spill-over).
        live.client = request;
        live.cost = cost;
        live.phase = Phase::Clearing;
        match clearance {
            Clearance::SendAt(at) => {
                self.queue.schedule(at, Event::Cleared(id));
            }
            Clearance::Denied { at, retry_after } => {
                live.denied = retry_after;
                self.queue.schedule(at, Event::Denied(id));
            }
        }
    }

    /// A shared limiter said no (its budget is spent, or it is down and the
    /// fleet fails closed): nothing is sent and nothing reaches the
    /// provider; the retry policy decides, as for a local rejection.
    fn denied(&mut self, now: SimTime, id: u32) {
        let live = live_mut(&mut self.slots, id);
        let (k, hint) = (live.k, live.denied.take());
        self.touch(k);
        self.clients[k as usize].unsend();
        let live = live_ref(&self.slots, id);
        if live.expired {
            return self.close(id, Err(Failure::Deadline));
        }
        self.metrics.classes[live.req.class as usize].throttled_locally += 1;
        let decision = self.clients[k as usize].on_denied(
            now,
            &live.client,
            live.retries,
            live.previous_delay,
            hint,
        );
        self.settle(now, id, decision, None);
    }

    /// A shared limiter's clearance arrived (and its reserved time came).
    fn cleared(&mut self, now: SimTime, id: u32) {
        let k = live_ref(&self.slots, id).k;
        self.touch(k);
        let live = live_ref(&self.slots, id);
        if live.expired {
            // Its deadline passed while it waited: not worth sending.
            self.clients[k as usize].unsend();
            return self.close(id, Err(Failure::Deadline));
        }
        let (request, cost) = (live.client, live.cost);
        self.send(now, request, cost);
    }

    fn send(&mut self, now: SimTime, request: ClientRequest, cost: Cost) {
        let id = request.id;
        let live = live_mut(&mut self.slots, id);
        // The client may have routed it to another model (spill-over).
        live.client = request;
        live.phase = Phase::InFlight;
        live.cost = cost;
        if let Some(m) = self
            .metrics
            .by_replica
            .get_mut((live.k % self.replicas) as usize)
        {
            m.attempts += 1;
        }
        let r = &live.req;
        let attempt = Attempt {
            model: live.client.model,
            input_tokens: r.input_tokens,
            cache_read_tokens: r.cache_read_tokens,
            cache_write_tokens: r.cache_write_tokens,
            prefix: r.prefix,
            max_tokens: r.max_tokens,
            output_tokens: r.output_tokens,
            service_factor: live.service_factor,
            workspace: r.workspace,
        };
        let class = r.class as usize;
        let response = self.provider.handle(now, &attempt);
        live.response = Some(response);
        self.metrics.classes[class].attempts += 1;
        self.metrics.classes[class].queued_for(now - live.queued_at);
        self.metrics.by_model[attempt.model as usize].attempts += 1;
        let spec = &self.provider.config().models[attempt.model as usize];
        let admitted = response.usage.map(|u| {
            let reads = if spec.itpm_counts_cache_reads {
                u.cache_read_input_tokens
            } else {
                0
            };
            let itpm = u.input_tokens + u.cache_creation_input_tokens + reads;
            (itpm, u.output_tokens)
        });
        self.metrics.series.sent(now, spec.pool, admitted);
        self.queue
            .schedule(response.received_at, Event::Response(id));
    }

    fn respond(&mut self, now: SimTime, id: u32) {
        // Read in place (a `Response` is a few hundred bytes; taking it out
        // would copy it), and cleared below once the client has seen it.
        let live = live_ref(&self.slots, id);
        // Invariant: `send` stores the response before scheduling its
        // Response event, and only this event clears it.
        #[allow(clippy::expect_used)]
        let response = live.response.as_ref().expect("response in flight");
        let class = live.req.class as usize;
        let model = live.client.model as usize;
        let pool = self.provider.config().models[model].pool;
        let k = live.k;
        if let Status::RateLimited(_) = response.status
            && let Some(r) = self
                .metrics
                .by_replica
                .get_mut((k % self.replicas) as usize)
        {
            r.rate_limited += 1;
        }
        let m = &mut self.metrics.classes[class];
        let at_model = &mut self.metrics.by_model[model];
        // Why the request fails if the client gives up after this answer.
        let mut why = None;
        match response.status {
            Status::RateLimited(d) => {
                self.metrics.series.rate_limited(now, pool, d);
                m.rate_limited_by(d);
                m.workspace_limited += response.limited_by_workspace as u64;
                m.oversized += response.oversized as u64;
                at_model.rate_limited += 1;
                if response.oversized {
                    why = Some(Failure::TooLarge);
                }
            }
            Status::Overloaded => {
                self.metrics.series.overloaded(now, pool);
                m.overloaded += 1;
                m.overloaded_mid_stream += response.usage.is_some() as u64;
                at_model.overloaded += 1;
            }
            Status::Ok => at_model.succeeded += 1,
            Status::TooLarge(_) => why = Some(Failure::TooLarge),
            Status::InvalidRequest(_) => {}
        }
        if matches!(
            response.status,
            Status::RateLimited(Dimension::Spend) | Status::InvalidRequest(Dimension::Spend)
        ) {
            why = Some(Failure::SpendLimit);
            self.metrics.spend_limited_attempts += 1;
            self.metrics
                .spend_limit_first_hit
                .get_or_insert(response.server_time);
        }
        if let Some(u) = response.usage {
            // Billed whether or not the client still wants the answer.
            let tokens = Tokens {
                input: u.input_tokens,
                output: u.output_tokens,
                cache_read: u.cache_read_input_tokens,
                cache_write: u.cache_creation_input_tokens,
                cache_write_1h: u.cache_creation_1h_input_tokens,
            };
            m.tokens_by_model[model].add(&tokens);
            let total_input = tokens.input + tokens.cache_read + tokens.cache_write;
            if self.provider.config().models[model].is_long_context(total_input) {
                m.long_context_tokens_by_model[model].add(&tokens);
            }
            if u.cache_read_input_tokens > 0 {
                m.cache_hits += 1;
            } else if u.cache_creation_input_tokens > 0 {
                m.cache_misses += 1;
            }
        }
        let decision = self.clients[k as usize].on_response(
            now,
            &live.client,
            live.cost,
            response,
            live.retries,
            live.previous_delay,
        );
        live_mut(&mut self.slots, id).response = None;
        self.touch(k);
        self.settle(now, id, decision, why);
    }

    /// A request the client rejected locally (adaptive throttling): no
    /// attempt reaches the provider and none is counted; the client's retry
    /// policy decides, as for a 429 without `retry-after`.
    fn throttled(&mut self, now: SimTime, id: u32) {
        let live = live_mut(&mut self.slots, id);
        self.metrics.classes[live.req.class as usize].throttled_locally += 1;
        let decision = self.clients[live.k as usize].on_throttled(
            now,
            &live.client,
            live.retries,
            live.previous_delay,
        );
        self.settle(now, id, decision, None);
    }

    /// Carries out the client's decision for a request whose attempt was
    /// answered or rejected locally: close it, or schedule its retry. `why`
    /// is the failure the last answer implies if the client gives up (too
    /// large, spend limit); otherwise giving up is `GaveUp` or `Deadline`.
    fn settle(&mut self, now: SimTime, id: u32, decision: Decision, why: Option<Failure>) {
        let live = live_mut(&mut self.slots, id);
        let past_deadline = live.expired || live.req.deadline.is_some_and(|d| now > d);
        match decision {
            Decision::Done if past_deadline => self.close(id, Err(Failure::Deadline)),
            Decision::Done => {
                let latency = now - live.req.arrival;
                self.close(id, Ok(latency))
            }
            Decision::Retry(_) | Decision::Reroute(_) if past_deadline => {
                self.close(id, Err(Failure::Deadline))
            }
            Decision::Reroute(model) => {
                let k = live.k as usize;
                live.client.model = model;
                live.client.pool = self.clients[k].pool_of(model);
                live.phase = Phase::Queued;
                live.queued_at = now;
                let c = live.client;
                self.clients[k].enqueue(c);
            }
            Decision::Retry(delay) => {
                let at = now + delay;
                if live.req.deadline.is_some_and(|d| at > d) {
                    return self.close(id, Err(Failure::Deadline));
                }
                live.retries += 1;
                live.previous_delay = delay;
                live.phase = Phase::Backoff;
                live.retry_event = Some(self.queue.schedule(at, Event::RetryReady(id)));
            }
            Decision::GiveUp => {
                let why = match why {
                    Some(w) => w,
                    None if past_deadline => Failure::Deadline,
                    None => Failure::GaveUp,
                };
                self.close(id, Err(why))
            }
        }
    }

    fn expire(&mut self, _now: SimTime, id: u32, generation: u32) {
        let slot = &mut self.slots[id as usize];
        if slot.generation != generation {
            return;
        }
        let Some(live) = slot.live.as_mut() else {
            return;
        };
        live.deadline_event = None;
        match live.phase {
            // In flight: fails when its response arrives. Batched work has
            // no deadline event, so this arm is for completeness.
            Phase::InFlight | Phase::Batched | Phase::Clearing => live.expired = true,
            Phase::Queued => {
                let (pool, cid, k) = (live.client.pool, live.client.id, live.k);
                self.clients[k as usize].withdraw(pool, cid);
                self.touch(k);
                self.close(id, Err(Failure::Deadline));
            }
            Phase::Backoff => {
                if let Some(e) = live.retry_event.take() {
                    self.queue.cancel(e);
                }
                self.close(id, Err(Failure::Deadline));
            }
        }
    }

    /// Ends a logical request and frees its slot.
    fn close(&mut self, id: u32, outcome: Result<SimTime, Failure>) {
        let live = take_live(&mut self.slots, id);
        if let Some(e) = live.deadline_event {
            self.queue.cancel(e);
        }
        if let Some(r) = self
            .metrics
            .by_replica
            .get_mut((live.k % self.replicas) as usize)
            && let Ok(latency) = outcome
        {
            r.succeeded += 1;
            record_us(&mut r.latency_us, latency);
        }
        let class = live.req.class as usize;
        let m = &mut self.metrics.classes[class];
        match outcome {
            Ok(latency) => {
                m.succeed(latency);
                let rule = self.slo_rules.get(class).and_then(Option::as_ref);
                if rule.is_some_and(|r| r.met(live.req.arrival, live.req.arrival + latency)) {
                    m.slo_met += 1;
                }
                m.truncated += live.req.truncated as u64;
                m.routed_away += (live.client.model != live.primary) as u64;
            }
            Err(why) => m.fail(why),
        }
        self.free.push(id);
    }

    /// Whatever is still queued, backing off or in flight at the end failed.
    fn finish(&mut self) {
        for slot in &mut self.slots {
            if let Some(live) = slot.live.take() {
                self.metrics.classes[live.req.class as usize].fail(Failure::Unfinished);
            }
        }
        self.metrics.events = self.queue.processed();
    }
}
