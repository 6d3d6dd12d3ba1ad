//! Replicas: one strategy run as N independent clients (pods, workers,
//! serverless instances) that share one organisation's limits. Each replica
//! keeps its own queue, permits, buckets and header view; the balancer only
//! decides which replica a new request lands on.

use std::collections::BTreeSet;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// How arrivals are spread over the replicas.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Balance {
    /// Each replica in turn (a round-robin load balancer).
    #[default]
    RoundRobin,
    /// A uniformly random replica (DNS or a random L4 balancer).
    Random,
    /// The replica with the fewest requests queued or in flight (ties: the
    /// lowest index), as a least-connections balancer sees it.
    LeastLoaded,
}

impl Balance {
    /// The scenario spelling.
    pub fn name(self) -> &'static str {
        match self {
            Balance::RoundRobin => "round_robin",
            Balance::Random => "random",
            Balance::LeastLoaded => "least_loaded",
        }
    }
}

/// How many replicas run the strategy and how work reaches them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetSpec {
    /// Number of independent clients (1: a single client, today's model).
    pub replicas: u32,
    /// How arrivals are spread.
    pub balance: Balance,
    /// Whether the pacing fraction and the concurrency cap are for the whole
    /// fleet (each replica gets its share) rather than for each replica.
    pub per_fleet: bool,
}

impl Default for FleetSpec {
    fn default() -> FleetSpec {
        FleetSpec {
            replicas: 1,
            balance: Balance::RoundRobin,
            per_fleet: false,
        }
    }
}

/// Picks the replica for each new request. Loads are reported by the caller
/// only when they change, so a pick never scans the replicas.
#[derive(Clone, Debug)]
pub struct Balancer {
    balance: Balance,
    replicas: u32,
    next: u32,
    rng: ChaCha8Rng,
    /// `(load, replica)` for least-loaded picking.
    by_load: BTreeSet<(u32, u32)>,
    loads: Vec<u32>,
}

impl Balancer {
    /// A balancer over `replicas` idle replicas; `rng` is used by `random`.
    pub fn new(spec: FleetSpec, rng: ChaCha8Rng) -> Balancer {
        let n = spec.replicas.max(1);
        let least = spec.balance == Balance::LeastLoaded;
        Balancer {
            balance: spec.balance,
            replicas: n,
            next: 0,
            rng,
            by_load: if least {
                (0..n).map(|r| (0, r)).collect()
            } else {
                BTreeSet::new()
            },
            loads: if least {
                vec![0; n as usize]
            } else {
                Vec::new()
            },
        }
    }

    /// The replica the next request goes to.
    pub fn pick(&mut self) -> u32 {
        if self.replicas == 1 {
            return 0;
        }
        match self.balance {
            Balance::RoundRobin => {
                let r = self.next;
                self.next = (self.next + 1) % self.replicas;
                r
            }
            Balance::Random => self.rng.random_range(0..self.replicas),
            Balance::LeastLoaded => self.by_load.first().map_or(0, |&(_, r)| r),
        }
    }

    /// Tells the balancer a replica's load (queued plus in flight) changed.
    pub fn set_load(&mut self, replica: u32, load: u32) {
        if self.balance != Balance::LeastLoaded {
            return;
        }
        let old = &mut self.loads[replica as usize];
        if *old != load {
            self.by_load.remove(&(*old, replica));
            self.by_load.insert((load, replica));
            *old = load;
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    fn balancer(balance: Balance, replicas: u32) -> Balancer {
        let spec = FleetSpec {
            replicas,
            balance,
            per_fleet: false,
        };
        Balancer::new(spec, ChaCha8Rng::seed_from_u64(7))
    }

    #[test]
    fn round_robin_visits_each_replica_in_turn() {
        let mut b = balancer(Balance::RoundRobin, 3);
        let picks: Vec<u32> = (0..7).map(|_| b.pick()).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn least_loaded_picks_the_emptiest_then_the_lowest_index() {
        let mut b = balancer(Balance::LeastLoaded, 3);
        assert_eq!(b.pick(), 0);
        b.set_load(0, 2);
        assert_eq!(b.pick(), 1);
        b.set_load(1, 1);
        b.set_load(2, 1);
        assert_eq!(b.pick(), 1);
        b.set_load(1, 3);
        assert_eq!(b.pick(), 2);
        b.set_load(0, 0);
        assert_eq!(b.pick(), 0);
    }

    #[test]
    fn random_covers_every_replica_about_equally() {
        let mut b = balancer(Balance::Random, 4);
        let mut counts = [0u32; 4];
        for _ in 0..40_000 {
            counts[b.pick() as usize] += 1;
        }
        // Binomial(40 000, 1/4): sd ≈ 87; 5 sd either side of 10 000.
        for c in counts {
            assert!((9_565..=10_435).contains(&c), "{counts:?}");
        }
    }
}
