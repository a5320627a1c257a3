//! Prometheus metrics, served as text at `GET /metrics`.
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Status {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Limit {
    limit: &'static str,
}

mod stalls;

pub use stalls::PersisterHealth;
use stalls::{ErrorKind, Stalls};

/// Every metric of one server instance. Each `Application` has its own registry, so tests
/// running several apps in one process do not mix their figures.
pub struct Metrics {
    registry: Registry,
    order_attempts: Family<Outcome, Counter>,
    order_duration: Histogram,
    orders_pending: Gauge,
    persister_batches: Family<Outcome, Counter>,
    persister_orders: Family<Status, Counter>,
    persister_lag: Gauge<f64, AtomicU64>,
    dead_letters: Counter,
    persister_stalled: Gauge<f64, AtomicU64>,
    persister_last_error: Family<ErrorKind, Gauge>,
    redis_verified: Gauge,
    rate_limited_clients: Family<Limit, Gauge>,
    hold_transitions: Family<Status, Counter>,
    hold_sweep_lag: Gauge<f64, AtomicU64>,
    stalls: Mutex<Stalls>,
}

impl Default for Metrics {
    fn default() -> Self {
        let order_attempts = Family::<Outcome, Counter>::default();
        // 100 µs to about 3.3 s.
        let order_duration = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let orders_pending = Gauge::default();
        let persister_batches = Family::<Outcome, Counter>::default();
        let persister_orders = Family::<Status, Counter>::default();
        let persister_lag = Gauge::<f64, AtomicU64>::default();
        let dead_letters = Counter::default();
        let persister_stalled = Gauge::<f64, AtomicU64>::default();
        let persister_last_error = Family::<ErrorKind, Gauge>::default();
        let redis_verified = Gauge::default();
        let rate_limited_clients = Family::<Limit, Gauge>::default();
        let hold_transitions = Family::<Status, Counter>::default();
        let hold_sweep_lag = Gauge::<f64, AtomicU64>::default();

        let mut registry = Registry::with_prefix("flashsale");
        registry.register(
            "order_attempts",
            "Order attempts by outcome (accepted, replayed, or the error code)",
            order_attempts.clone(),
        );
        registry.register(
            "order_duration_seconds",
            "Time to answer an order attempt",
            order_duration.clone(),
        );
        registry.register(
            "orders_pending",
            "Accepted orders not yet in Postgres, over all sales' streams",
            orders_pending.clone(),
        );
        registry.register(
            "persister_batches",
            "Batches the persister tried to write, by outcome (ok, error)",
            persister_batches.clone(),
        );
        registry.register(
            "persister_orders",
            "Orders the persister wrote, by status (confirmed, rejected, duplicate)",
            persister_orders.clone(),
        );
        registry.register(
            "persister_lag_seconds",
            "Age of the oldest order in the last batch written",
            persister_lag.clone(),
        );
        registry.register(
            "persister_dead_letters",
            "Stream entries moved to a dead-letter stream because they can never be written",
            dead_letters.clone(),
        );
        registry.register(
            "persister_stalled_seconds",
            "How long the longest-failing persister loop has been failing (0: none is)",
            persister_stalled.clone(),
        );
        registry.register(
            "persister_last_error",
            "1 for the kind of the persister's last failure (a SQLSTATE or an error kind)",
            persister_last_error.clone(),
        );
        registry.register(
            "redis_verified",
            "1 while Redis's data is verified against Postgres and orders may sell (redis_gate)",
            redis_verified.clone(),
        );
        registry.register(
            "rate_limited_clients",
            "Clients the rate limiters remember, by limit (buyer, ip); each stays under its cap",
            rate_limited_clients.clone(),
        );
        registry.register(
            "hold_transitions",
            "Holds ended (paid, expired, cancelled) and holds whose units went back (returned)",
            hold_transitions.clone(),
        );
        registry.register(
            "hold_sweep_lag_seconds",
            "How far past its deadline the oldest unexpired hold is, after this instance's sweep",
            hold_sweep_lag.clone(),
        );
        Self {
            registry,
            hold_transitions,
            hold_sweep_lag,
            dead_letters,
            persister_stalled,
            persister_last_error,
            redis_verified,
            rate_limited_clients,
            stalls: Mutex::default(),
            order_attempts,
            order_duration,
            orders_pending,
            persister_batches,
            persister_orders,
            persister_lag,
        }
    }
}

impl Metrics {
    pub fn order_attempt(&self, outcome: &'static str, took: Duration) {
        self.order_attempts
            .get_or_create(&Outcome { outcome })
            .inc();
        self.order_duration.observe(took.as_secs_f64());
    }

    pub fn persister_batch(&self, ok: bool) {
        let outcome = if ok { "ok" } else { "error" };
        self.persister_batches
            .get_or_create(&Outcome { outcome })
            .inc();
    }

    pub fn persisted(&self, status: &'static str, count: usize) {
        self.persister_orders
            .get_or_create(&Status { status })
            .inc_by(count as u64);
    }

    pub fn hold_transition(&self, status: &'static str, count: usize) {
        self.hold_transitions
            .get_or_create(&Status { status })
            .inc_by(count as u64);
    }

    pub fn set_hold_sweep_lag(&self, lag: Duration) {
        self.hold_sweep_lag.set(lag.as_secs_f64());
    }

    pub fn dead_lettered(&self, count: usize) {
        self.dead_letters.inc_by(count as u64);
    }

    pub fn set_persister_lag(&self, lag: Duration) {
        self.persister_lag.set(lag.as_secs_f64());
    }

    pub fn set_redis_verified(&self, verified: bool) {
        self.redis_verified.set(i64::from(verified));
    }

    pub fn set_orders_pending(&self, pending: usize) {
        self.orders_pending
            .set(i64::try_from(pending).unwrap_or(i64::MAX));
    }

    /// Sizes of the per-buyer and per-IP limiters' maps, read when scraped.
    pub fn set_rate_limited_clients(&self, (buyers, ips): (usize, usize)) {
        for (limit, count) in [("buyer", buyers), ("ip", ips)] {
            self.rate_limited_clients
                .get_or_create(&Limit { limit })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    pub fn render(&self) -> String {
        // The stall grows between failures (retries back off to 5 s): measured when scraped.
        self.persister_stalled
            .set(self.persister_health().stalled_seconds);
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
