//! Model routing: a primary model per class and an ordered fallback list.
//!
//! Each model's pool keeps its own limits, so falling back to another pool is
//! a way to use headroom the primary lacks, at that model's price and quality.

/// How one priority class is routed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Model indices, primary first, then fallbacks in order.
    pub models: Vec<u16>,
    /// On a 429, resend at once to the next model in the list.
    pub on_429: bool,
    /// On a 529, resend at once to the next model in the list.
    pub on_529: bool,
    /// When the client's own pacing budget for the primary is exhausted, send
    /// to the first fallback that has budget instead of waiting.
    pub spill_over: bool,
}

impl Route {
    /// The primary model.
    pub fn primary(&self) -> u16 {
        self.models[0]
    }

    /// The model after `model` in the list, if any.
    pub fn next_after(&self, model: u16) -> Option<u16> {
        let i = self.models.iter().position(|&m| m == model)?;
        self.models.get(i + 1).copied()
    }

    /// The fallbacks (every model but the primary).
    pub fn fallbacks(&self) -> &[u16] {
        &self.models[1..]
    }
}

/// Sending eligible work through the Message Batches API instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchOffload {
    /// Requests of classes at or below this priority index go by batch
    /// (default 1: everything but the most important class).
    pub from_class: u8,
    /// Requests per batch (at most the API's 100,000).
    pub max_batch_requests: u64,
    /// Submit what has gathered at least this often.
    pub flush_every: crate::engine::SimTime,
}

impl Default for BatchOffload {
    fn default() -> Self {
        BatchOffload {
            from_class: 1,
            max_batch_requests: 10_000,
            flush_every: crate::engine::SimTime::from_secs(600),
        }
    }
}

/// Routes by priority class index; classes without a route use their
/// stream's model and never fall back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Router {
    /// Route of class `i`, if any.
    pub routes: Vec<Option<Route>>,
}

impl Router {
    /// The route for `class`.
    pub fn route(&self, class: u8) -> Option<&Route> {
        self.routes.get(class as usize).and_then(Option::as_ref)
    }

    /// True when no class is routed.
    pub fn is_empty(&self) -> bool {
        self.routes.iter().all(Option::is_none)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_after_walks_the_list_once() {
        let r = Route {
            models: vec![3, 1, 4],
            on_429: true,
            on_529: true,
            spill_over: false,
        };
        assert_eq!(r.primary(), 3);
        assert_eq!(r.next_after(3), Some(1));
        assert_eq!(r.next_after(1), Some(4));
        assert_eq!(r.next_after(4), None);
        assert_eq!(r.next_after(9), None);
        assert_eq!(r.fallbacks(), &[1, 4]);
    }
}
