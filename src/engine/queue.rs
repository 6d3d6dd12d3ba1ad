use std::collections::HashSet;

use super::SimTime;

/// Handle to a scheduled event, used to cancel it.
///
/// It is the event's sequence number, unique within one queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventId(u64);

/// `key` is the time in the high 64 bits and the sequence number in the low
/// ones: one integer comparison orders by `(time, seq)`.
#[derive(Clone, Copy)]
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> Entry<E> {
    fn time(&self) -> SimTime {
        SimTime((self.key >> 64) as u64)
    }

    fn seq(&self) -> u64 {
        self.key as u64
    }
}

/// Children per node of the heap. Four halves the depth of a binary heap,
/// so a pop moves half as many entries (the three extra comparisons per
/// level are cheaper than the moves saved).
const ARITY: usize = 4;

/// A 4-ary min-heap on `key`. Keys are unique (the sequence number), so
/// the pop order is the keys' order whatever the heap's shape: the same
/// as the `BinaryHeap` it replaced.
struct Heap<E> {
    data: Vec<Entry<E>>,
}

impl<E: Copy> Heap<E> {
    fn peek(&self) -> Option<&Entry<E>> {
        self.data.first()
    }

    fn push(&mut self, entry: Entry<E>) {
        let mut pos = self.data.len();
        self.data.push(entry);
        let data = &mut self.data[..];
        while pos > 0 {
            let parent = (pos - 1) / ARITY;
            if data[parent].key <= entry.key {
                break;
            }
            data[pos] = data[parent];
            pos = parent;
        }
        data[pos] = entry;
    }

    fn pop(&mut self) -> Option<Entry<E>> {
        let last = self.data.pop()?;
        let Some(&top) = self.data.first() else {
            return Some(last);
        };
        // Move `last` down from the root: each level, the least child
        // moves up while it is smaller.
        let data = &mut self.data[..];
        let n = data.len();
        let mut pos = 0;
        loop {
            let first = ARITY * pos + 1;
            if first >= n {
                break;
            }
            let end = (first + ARITY).min(n);
            let mut least = first;
            let mut least_key = data[first].key;
            for (j, e) in data[first + 1..end].iter().enumerate() {
                if e.key < least_key {
                    least_key = e.key;
                    least = first + 1 + j;
                }
            }
            if last.key <= least_key {
                break;
            }
            data[pos] = data[least];
            pos = least;
        }
        data[pos] = last;
        Some(top)
    }
}

/// A priority queue of events keyed by `(time, sequence)`, with the clock.
///
/// Events at the same instant pop in the order they were scheduled.
/// Cancellation is lazy: a cancelled event stays in the heap until it reaches
/// the front and is then skipped, which keeps `cancel` O(1).
pub struct EventQueue<E> {
    heap: Heap<E>,
    cancelled: HashSet<u64>,
    next_seq: u64,
    now: SimTime,
    processed: u64,
}

impl<E: Copy> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

/// Events are `Copy` (a kind and an index or two): the heap moves them
/// level by level as plain values.
impl<E: Copy> EventQueue<E> {
    /// An empty queue with the clock at zero.
    pub fn new() -> Self {
        EventQueue {
            heap: Heap { data: Vec::new() },
            cancelled: HashSet::new(),
            next_seq: 0,
            now: SimTime::ZERO,
            processed: 0,
        }
    }

    /// The current simulated time: the time of the last event popped.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// How many events have been popped (cancelled ones excluded).
    pub fn processed(&self) -> u64 {
        self.processed
    }

    /// Events still scheduled, cancelled ones included until they are skipped.
    pub fn len(&self) -> usize {
        self.heap.data.len()
    }

    /// True when nothing is scheduled.
    ///
    /// Checks the entries rather than comparing counts: an id cancelled
    /// again after its event was skipped sits in `cancelled` with no entry.
    pub fn is_empty(&self) -> bool {
        self.heap
            .data
            .iter()
            .all(|e| self.cancelled.contains(&e.seq()))
    }

    /// Schedules `event` at `time`. A time in the past is clamped to now, so
    /// the clock can never run backwards.
    pub fn schedule(&mut self, time: SimTime, event: E) -> EventId {
        let time = time.max(self.now);
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry {
            key: (u128::from(time.as_nanos()) << 64) | u128::from(seq),
            event,
        });
        EventId(seq)
    }

    /// Schedules `event` after `delay` from now.
    pub fn schedule_in(&mut self, delay: SimTime, event: E) -> EventId {
        self.schedule(self.now.saturating_add(delay), event)
    }

    /// Cancels a pending event. Returns false if it was already cancelled
    /// and is still queued; once a cancelled event has been skipped (it
    /// reached the front), cancelling it again returns true and does nothing.
    ///
    /// Only pass ids of events that have not run yet (callers keep the id of
    /// a timer and forget it when the timer fires): telling a run event from
    /// a pending one would cost a lookup on every pop.
    pub fn cancel(&mut self, id: EventId) -> bool {
        if id.0 >= self.next_seq {
            return false;
        }
        self.cancelled.insert(id.0)
    }

    /// The time of the next live event, if any.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.skip_cancelled();
        self.heap.peek().map(Entry::time)
    }

    /// Removes and returns the next live event, advancing the clock to it.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.skip_cancelled();
        let entry = self.heap.pop()?;
        self.now = entry.time();
        self.processed += 1;
        Some((entry.time(), entry.event))
    }

    /// Pops the next live event only if it is at or before `until`.
    pub fn pop_until(&mut self, until: SimTime) -> Option<(SimTime, E)> {
        // One skip of cancelled entries, not one for the peek and one for
        // the pop (this is the run loop's only call into the queue).
        self.skip_cancelled();
        if self.heap.peek()?.time() > until {
            return None;
        }
        let entry = self.heap.pop()?;
        self.now = entry.time();
        self.processed += 1;
        Some((entry.time(), entry.event))
    }

    /// Runs `handler` on every event up to and including `until`, then sets
    /// the clock to `until`. The handler may schedule and cancel events.
    pub fn run_until<F>(&mut self, until: SimTime, mut handler: F)
    where
        F: FnMut(&mut Self, SimTime, E),
    {
        while let Some((t, e)) = self.pop_until(until) {
            handler(self, t, e);
        }
        self.now = self.now.max(until);
    }

    #[inline]
    fn skip_cancelled(&mut self) {
        if self.cancelled.is_empty() {
            return;
        }
        while let Some(top) = self.heap.peek() {
            let seq = top.seq();
            if self.cancelled.is_empty() || !self.cancelled.contains(&seq) {
                return;
            }
            self.heap.pop();
            self.cancelled.remove(&seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &mut EventQueue<&'static str>) -> Vec<(u64, &'static str)> {
        let mut out = Vec::new();
        while let Some((t, e)) = q.pop() {
            out.push((t.0, e));
        }
        out
    }

    #[test]
    fn pops_in_time_order() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(30), "c");
        q.schedule(SimTime(10), "a");
        q.schedule(SimTime(20), "b");
        assert_eq!(drain(&mut q), vec![(10, "a"), (20, "b"), (30, "c")]);
        assert_eq!(q.now(), SimTime(30));
        assert_eq!(q.processed(), 3);
    }

    #[test]
    fn ties_pop_in_scheduling_order() {
        let mut q = EventQueue::new();
        for name in ["first", "second", "third", "fourth"] {
            q.schedule(SimTime(5), name);
        }
        q.schedule(SimTime(1), "early");
        let order: Vec<_> = drain(&mut q).into_iter().map(|(_, e)| e).collect();
        assert_eq!(order, vec!["early", "first", "second", "third", "fourth"]);
    }

    #[test]
    fn cancelled_events_never_run() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), "a");
        let b = q.schedule(SimTime(2), "b");
        q.schedule(SimTime(3), "c");
        assert!(q.cancel(b));
        assert!(!q.cancel(b), "second cancel reports nothing to cancel");
        assert_eq!(q.pop(), Some((SimTime(1), "a")));
        let _ = a;
        assert_eq!(drain(&mut q), vec![(3, "c")]);
        assert!(q.is_empty());
    }

    #[test]
    fn cancelling_a_skipped_event_again_does_not_hide_live_ones() {
        // Regression (found by tests/properties_engine.rs): the second
        // cancel of a skipped event left a stale id behind, and `is_empty`
        // compared counts, so it said "empty" with "b" still due.
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), "a");
        assert!(q.cancel(a));
        assert_eq!(q.peek_time(), None, "skips the cancelled head");
        q.cancel(a);
        q.schedule(SimTime(2), "b");
        assert!(!q.is_empty());
        assert_eq!(drain(&mut q), vec![(2, "b")]);
        assert!(q.is_empty());
    }

    #[test]
    fn cancelling_the_head_exposes_the_next_event() {
        let mut q = EventQueue::new();
        let a = q.schedule(SimTime(1), "a");
        q.schedule(SimTime(9), "b");
        q.cancel(a);
        assert_eq!(q.peek_time(), Some(SimTime(9)));
    }

    #[test]
    fn scheduling_in_the_past_clamps_to_now() {
        let mut q = EventQueue::new();
        q.schedule(SimTime(100), "x");
        q.pop();
        q.schedule(SimTime(50), "late");
        assert_eq!(q.pop(), Some((SimTime(100), "late")));
    }

    #[test]
    fn run_until_stops_at_the_horizon_and_handlers_can_schedule() {
        let mut q: EventQueue<u32> = EventQueue::new();
        q.schedule(SimTime(0), 0);
        let mut seen = Vec::new();
        q.run_until(SimTime(35), |q, t, n| {
            seen.push((t.0, n));
            q.schedule_in(SimTime(10), n + 1);
        });
        assert_eq!(seen, vec![(0, 0), (10, 1), (20, 2), (30, 3)]);
        assert_eq!(q.now(), SimTime(35));
        // The event at 40 is still pending for a later drain phase.
        assert_eq!(q.pop(), Some((SimTime(40), 4)));
    }

    #[test]
    fn clock_never_decreases_under_random_schedules() {
        // A small deterministic LCG stands in for arbitrary interleavings.
        let mut x: u64 = 12345;
        let mut q: EventQueue<u64> = EventQueue::new();
        for i in 0..1000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            q.schedule(SimTime(x >> 54), i);
        }
        let mut last = (SimTime::ZERO, 0u64);
        while let Some((t, i)) = q.pop() {
            assert!(t >= last.0);
            if t == last.0 && i != 0 {
                assert!(i > last.1, "equal times pop in scheduling order");
            }
            last = (t, i);
        }
    }
}
