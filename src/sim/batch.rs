//! The Batch API path of a run: requests a strategy offloads are gathered
//! per model, submitted as batches and settled when the batch ends.

use super::*;

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
        let n = gathered
            .len()
            .min(max.min(api.config().limits.max_batch_requests) as usize);
        match api.submit(now, n as u64) {
            BatchSubmit::Accepted { done_at, expired } => {
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
                self.batches[b as usize] = Some((ids, expired));
                self.queue.schedule(done_at, Event::BatchDone(b));
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

    /// Results (or the expiry) of a batch.
    pub(super) fn batch_done(&mut self, now: SimTime, b: u32) {
        // Invariant: `flush` stores a batch before scheduling its
        // BatchDone, and only this event (once per batch) takes it.
        #[allow(clippy::expect_used)]
        let (ids, expired) = self.batches[b as usize].take().expect("live batch");
        self.free_batches.push(b);
        for id in ids {
            if expired {
                self.close(id, Err(Failure::BatchExpired));
                continue;
            }
            let live = live_ref(&self.slots, id);
            let r = live.req;
            let m = &mut self.metrics.classes[r.class as usize];
            // Batch prompt-cache hits are best-effort: bill the prefix as input.
            m.batch_tokens_by_model[live.client.model as usize].add(&Tokens {
                input: r.input_tokens + r.prefix.map_or(0, |p| p.tokens),
                output: r.output_tokens.min(r.max_tokens),
                cache_read: r.cache_read_tokens,
                cache_write: r.cache_write_tokens,
                cache_write_1h: 0,
            });
            m.batch_succeeded += 1;
            self.close(id, Ok(now - r.arrival));
        }
    }
}
