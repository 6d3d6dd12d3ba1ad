//! `ratesim serve`: the provider model behind an HTTP port, so real client
//! code (the official SDKs, LangChain, a team's own retry layer) meets a
//! tier's limits, headers and errors without touching the real API.
//!
//! Admission is [`crate::model::Provider::handle`], the same code
//! `simulate` runs; this floor only translates HTTP to attempts and back and
//! owns the wall clock ([`clock::Clock`]), which it reads once per request,
//! under the lock, so the model always sees time move forward. It sits
//! beside `cli` (which starts it and prints), above `scenario` and `model`.

pub mod clock;
pub mod config;
mod dashboard;
mod http;
pub mod record;
pub mod request;
mod sse;
pub mod stats;
pub mod summary;
mod wire;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::engine::SimTime;
use crate::model::{Provider, RateLimitHeaders};
use crate::sim::seed;
pub use clock::Clock;
pub use config::{ServeConfig, tier_scenario};
pub use record::{AttemptRecord, RetryPattern, RetryTracker, Waits, retry_pattern};
pub use stats::{StatsDoc, Totals};
pub use summary::{Session, Summary, run_metrics, summarise};

/// A running server's shared state; cheap to clone (one `Arc`).
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    cfg: ServeConfig,
    clock: Clock,
    core: Mutex<Core>,
    /// Ids handed out: a counter of its own, so no id takes the lock.
    ids: AtomicU64,
}

/// Everything that changes, behind one lock: the provider must see the
/// attempts in the order of the times it is given.
struct Core {
    provider: Provider,
    stats: stats::Stats,
    last_now: SimTime,
    stream_rng: ChaCha8Rng,
}

impl App {
    /// A server whose clock starts now.
    pub fn new(cfg: ServeConfig) -> App {
        let mut provider_cfg = cfg.provider.clone();
        provider_cfg.overload = provider_cfg.overload.realise(
            &mut seed::stream(cfg.seed, "provider/overload-episodes"),
            cfg.horizon,
        );
        let provider = Provider::new(provider_cfg, seed::stream(cfg.seed, "provider/overload"));
        let core = Core {
            provider,
            stats: stats::Stats::new(cfg.pool_names.len(), cfg.keep_records),
            last_now: SimTime::ZERO,
            stream_rng: seed::stream(cfg.seed, "serve/stream-errors"),
        };
        App {
            inner: Arc::new(Inner {
                clock: Clock::start(cfg.speed),
                cfg,
                core: Mutex::new(core),
                ids: AtomicU64::new(0),
            }),
        }
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &ServeConfig {
        &self.inner.cfg
    }

    /// Its clock.
    pub fn clock(&self) -> Clock {
        self.inner.clock
    }

    /// The HTTP routes.
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    fn core(&self) -> MutexGuard<'_, Core> {
        // A handler that panicked mid-update cannot leave the counters
        // worse than a lost request; keep serving.
        self.inner
            .core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The stats document as of now.
    pub fn stats(&self) -> StatsDoc {
        let mut core = self.core();
        let now = core.now(&self.inner.clock);
        let now_s = now.as_nanos() / SimTime::NANOS_PER_SEC;
        let minute = core.stats.last_minute(now_s);
        let mut in_flight = 0;
        let pools = (0..self.inner.cfg.pool_names.len())
            .map(|i| {
                let f = core.provider.pool_mut(i).in_flight(now);
                in_flight += f;
                stats::PoolStats {
                    name: self.inner.cfg.pool_names[i].clone(),
                    limits: self.inner.cfg.pool_limits(i).into(),
                    last_minute: minute[i],
                    in_flight: f,
                }
            })
            .collect();
        StatsDoc {
            now_s: now.as_secs_f64(),
            wall_s: self.inner.clock.elapsed().as_secs_f64(),
            speed: self.inner.clock.speed(),
            totals: core.stats.totals,
            in_flight,
            pools,
            seconds: core.stats.history(now_s, stats::HISTORY_S),
            recent: core.stats.recent(),
        }
    }

    /// Attempts judged since the last call (only with `keep_records`).
    pub fn take_records(&self) -> Vec<AttemptRecord> {
        let shared = self.core().stats.take_unread();
        stats::unshare(shared)
    }

    /// Rate-limit headers of pool `i` now.
    fn pool_headers(&self, i: usize) -> Option<RateLimitHeaders> {
        let mut core = self.core();
        let now = core.now(&self.inner.clock);
        (i < self.inner.cfg.pool_names.len()).then(|| core.provider.pool_mut(i).headers(now))
    }

    /// A fresh `req_…`/`msg_…` style id: 24 characters from the seed and a
    /// counter, so a run's ids are reproducible.
    fn next_id(&self, prefix: &str) -> String {
        let n = self.inner.ids.fetch_add(1, Ordering::Relaxed) + 1;
        id(self.inner.cfg.seed, prefix, n)
    }
}

impl Core {
    /// Simulated time now, never earlier than what the provider was given.
    fn now(&mut self, clock: &Clock) -> SimTime {
        self.last_now = self.last_now.max(clock.now());
        self.last_now
    }
}

/// `prefix` and 24 base-62 characters derived from `seed` and `n`.
fn id(seed: u64, prefix: &str, n: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut s = String::with_capacity(prefix.len() + 24);
    s.push_str(prefix);
    for _ in 0..24 {
        let x = rand::RngExt::random_range(&mut rng, 0..ALPHABET.len());
        s.push(ALPHABET[x] as char);
    }
    s
}

/// Serves `app` on `listener` until `shutdown` completes (then lets
/// responses under way finish).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, app.router(), shutdown).await
}

/// [`serve`] with the routes given: [`App::router`], perhaps with layers
/// around it (the load generator in `examples/serve_load.rs` times each
/// request so).
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        // Streamed events are small writes: send each at once.
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}
