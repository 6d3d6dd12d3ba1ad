//! The Batch API path of a run: requests a strategy offloads are gathered
//! per model, submitted as batches and settled when the batch ends.

use rand::RngExt;

use super::*;
use crate::model::CacheTtl;
use crate::model::batch::{BYTES_PER_TOKEN, MAX_BATCH_BYTES};

impl Run {
    /// Adds a request to its model's gathering batch, submitting when full
    /// or after `flush_every`.
    pub(super) fn gather(&mut self, now: SimTime, id: u32, o: BatchOffload) {
        let live = live_mut(&mut self.slots, id);
        live.phase = Phase::Batched;
        let model = live.client.model as usize;
        self.metrics.classes[live.req.class as usize].batch_requests += 1;
        let c = &mut self.gathering[model];
        c.push(id);
        let due = if c.len() as u64 >= o.max_batch_requests {
            now
        } else if c.len() == 1 {
            now + o.flush_every
        } else {
            return;
        };
        self.schedule_flush(model, due);
    }

    fn schedule_flush(&mut self, model: usize, at: SimTime) {
        match self.flush_events[model] {
            Some((t, _)) if t <= at => {}
            other => {
                if let Some((_, e)) = other {
                    self.queue.cancel(e);
                }
                let e = self.queue.schedule(at, Event::BatchFlush(model as u16));
                self.flush_events[model] = Some((at, e));
            }
        }
    }

    /// Submits the gathered requests of `model` as one batch.
    pub(super) fn flush(&mut self, now: SimTime, model: usize) {
        self.flush_events[model] = None;
        let max = self.offload.unwrap_or_default().max_batch_requests;
        let Some(api) = self.batch_api.as_mut() else {
            return;
        };
        let gathered = &mut self.gathering[model];
        if gathered.is_empty() {
            return;
        }
        // The client splits what it gathered so that no batch exceeds the
        // published count or the 256 MB size (the API refuses, not cuts).
        let max_n = max.min(api.config().limits.max_batch_requests).max(1) as usize;
        let (mut n, mut bytes) = (0usize, 0u64);
        for &id in gathered.iter().take(max_n) {
            let b = request_bytes(live_ref(&self.slots, id));
            if n > 0 && bytes + b > MAX_BATCH_BYTES {
                break;
            }
            n += 1;
            bytes += b;
        }
        match api.submit(now, n as u64, bytes) {
            BatchSubmit::Accepted { done_at, completed } => {
                let ids: Vec<u32> = gathered.drain(..n).collect();
                for &id in &ids {
                    // Each batched request is one attempt, made when the
                    // batch is accepted.
                    let class = live_ref(&self.slots, id).req.class;
                    self.metrics.classes[class as usize].attempts += 1;
                }
                self.metrics.batches += 1;
                record_us(&mut self.metrics.batch_turnaround_us, done_at - now);
                let b = match self.free_batches.pop() {
                    Some(b) => b,
                    None => {
                        self.batches.push(None);
                        (self.batches.len() - 1) as u32
                    }
                };
                self.batches[b as usize] = Some((ids, completed));
                self.queue.schedule(done_at, Event::BatchDone(b));
                if !self.gathering[model].is_empty() {
                    self.schedule_flush(model, now);
                }
            }
            BatchSubmit::TooLarge { .. } => {
                // A single request over 256 MB: it can never be batched.
                let id = gathered.remove(0);
                self.close(id, Err(Failure::TooLarge));
                if !self.gathering[model].is_empty() {
                    self.schedule_flush(model, now);
                }
            }
            BatchSubmit::RateLimited { retry_at } => {
                self.metrics.batch_rate_limited += 1;
                self.schedule_flush(model, retry_at);
            }
        }
    }

    /// Results (or the expiry) of a batch: its first `completed` requests
    /// succeed, the rest expired one by one (unbilled).
    pub(super) fn batch_done(&mut self, now: SimTime, b: u32) {
        // Invariant: `flush` stores a batch before scheduling its
        // BatchDone, and only this event (once per batch) takes it.
        #[allow(clippy::expect_used)]
        let (ids, completed) = self.batches[b as usize].take().expect("live batch");
        self.free_batches.push(b);
        let hit_rate = self
            .batch_api
            .as_ref()
            .map_or(0.0, |a| a.config().cache_hit_rate);
        for (k, id) in ids.into_iter().enumerate() {
            if k as u64 >= completed {
                self.close(id, Err(Failure::BatchExpired));
                continue;
            }
            let live = live_ref(&self.slots, id);
            let r = live.req;
            let model = live.client.model as usize;
            let spec = &self.provider.config().models[model];
            let mut t = Tokens {
                input: r.input_tokens,
                output: r.output_tokens.min(r.max_tokens),
                cache_read: r.cache_read_tokens,
                cache_write: r.cache_write_tokens,
                cache_write_1h: 0,
            };
            // Batch cache hits are best effort: a prefix long enough to
            // cache is read with the batch hit rate (or as the stream's
            // fixed hit rate drew it), written otherwise.
            if let Some(p) = r.prefix {
                let hit = match p.forced_hit {
                    _ if p.tokens < spec.min_cacheable_tokens => None,
                    Some(h) => Some(h),
                    None => Some(self.batch_cache_rng.random::<f64>() < hit_rate),
                };
                match hit {
                    None => t.input += p.tokens,
                    Some(true) => t.cache_read += p.tokens,
                    Some(false) => {
                        t.cache_write += p.tokens;
                        if p.ttl == CacheTtl::OneHour {
                            t.cache_write_1h += p.tokens;
                        }
                    }
                }
            }
            let usd = crate::model::Usage {
                input_tokens: t.input,
                output_tokens: t.output,
                cache_read_input_tokens: t.cache_read,
                cache_creation_input_tokens: t.cache_write,
                cache_creation_1h_input_tokens: t.cache_write_1h,
            }
            .cost_usd(&spec.prices.batch());
            self.provider.record_spend(now, usd);
            let m = &mut self.metrics.classes[r.class as usize];
            m.batch_tokens_by_model[model].add(&t);
            m.batch_succeeded += 1;
            self.close(id, Ok(now - r.arrival));
        }
    }
}

/// Bytes a request takes in a batch file (see [`BYTES_PER_TOKEN`]).
fn request_bytes(live: &Live) -> u64 {
    let r = &live.req;
    let tokens = r.input_tokens
        + r.cache_read_tokens
        + r.cache_write_tokens
        + r.prefix.map_or(0, |p| p.tokens);
    tokens.saturating_mul(BYTES_PER_TOKEN)
}
