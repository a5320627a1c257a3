//! Prometheus metrics, served as text at `GET /metrics`: counters and histograms updated as
//! things happen, figures read from Redis and Postgres when scraped (`live`, `scraped`), the
//! build's version and the process's own metrics (`process`).
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

mod labels;
pub mod live;
#[cfg(target_os = "linux")]
mod process;
mod scraped;
mod stalls;

pub use labels::OrderClass;
use labels::{Build, Class, Histograms, Limit, Outcome, Status, order_histogram};
pub use scraped::Reading;
pub use stalls::PersisterHealth;
use stalls::{ErrorKind, Stalls};

/// Every metric of one server instance. Each `Application` has its own registry, so tests
/// running several apps in one process do not mix their figures.
pub struct Metrics {
    registry: Registry,
    order_attempts: Family<Outcome, Counter>,
    order_duration: Histograms,
    http_responses: Family<Class, Counter>,
    persister_batches: Family<Outcome, Counter>,
    persister_orders: Family<Status, Counter>,
    dead_letters: Counter,
    persister_stalled: Gauge<f64, AtomicU64>,
    persister_last_error: Family<ErrorKind, Gauge>,
    redis_verified: Gauge,
    rate_limited_clients: Family<Limit, Gauge>,
    hold_transitions: Family<Status, Counter>,
    hold_sweep_lag: Gauge<f64, AtomicU64>,
    stalls: Mutex<Stalls>,
    scraped: scraped::Scraped,
}

impl Default for Metrics {
    fn default() -> Self {
        let order_attempts = Family::<Outcome, Counter>::default();
        let order_duration = Histograms::new_with_constructor(order_histogram);
        let http_responses = Family::<Class, Counter>::default();
        let persister_batches = Family::<Outcome, Counter>::default();
        let persister_orders = Family::<Status, Counter>::default();
        let dead_letters = Counter::default();
        let persister_stalled = Gauge::<f64, AtomicU64>::default();
        let persister_last_error = Family::<ErrorKind, Gauge>::default();
        let redis_verified = Gauge::default();
        let rate_limited_clients = Family::<Limit, Gauge>::default();
        let hold_transitions = Family::<Status, Counter>::default();
        let hold_sweep_lag = Gauge::<f64, AtomicU64>::default();

        let scraped = scraped::Scraped::default();
        let mut root = Registry::default();
        #[cfg(target_os = "linux")]
        root.register_collector(Box::new(process::ProcessCollector));
        let registry = root.sub_registry_with_prefix("flashsale");
        registry.register_collector(Box::new(scraped.clone()));
        registry.register(
            "build",
            "The running build: its version, and its commit when the build was given one",
            Info::new(Build {
                version: env!("CARGO_PKG_VERSION"),
                commit: option_env!("FLASHSALE_BUILD_COMMIT").unwrap_or("unknown"),
            }),
        );
        registry.register(
            "http_responses",
            "HTTP responses by status class (2xx, 3xx, 4xx, 5xx)",
            http_responses.clone(),
        );
        registry.register(
            "order_attempts",
            "Order attempts by outcome (accepted, replayed, or the error code)",
            order_attempts.clone(),
        );
        registry.register(
            "order_duration_seconds",
            "Time to answer an order attempt, by outcome class (accepted, sold_out, rejected, error)",
            order_duration.clone(),
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
            registry: root,
            scraped,
            http_responses,
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
            persister_batches,
            persister_orders,
        }
    }
}

impl Metrics {
    pub fn order_attempt(&self, outcome: &'static str, class: OrderClass, took: Duration) {
        self.order_attempts
            .get_or_create(&Outcome { outcome })
            .inc();
        self.order_duration
            .get_or_create(&Outcome {
                outcome: class.label(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn http_response(&self, status: u16) {
        let class = match status / 100 {
            1 => "1xx",
            2 => "2xx",
            3 => "3xx",
            4 => "4xx",
            _ => "5xx",
        };
        self.http_responses.get_or_create(&Class { class }).inc();
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

    pub fn set_redis_verified(&self, verified: bool) {
        self.redis_verified.set(i64::from(verified));
    }

    /// Sizes of the per-buyer and per-IP limiters' maps, read when scraped.
    pub fn set_rate_limited_clients(&self, (buyers, ips): (usize, usize)) {
        for (limit, count) in [("buyer", buyers), ("ip", ips)] {
            self.rate_limited_clients
                .get_or_create(&Limit { limit })
                .set(i64::try_from(count).unwrap_or(i64::MAX));
        }
    }

    /// The figures read at scrape time (see `live::read`) that `render` shows next, in place of
    /// the previous scrape's.
    pub fn set_reading(&self, reading: Reading) {
        *self.scraped.0.lock().unwrap_or_else(|e| e.into_inner()) = reading;
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

/// A gauge computed for this scrape, for the collectors.
fn gauge(encoder: &mut DescriptorEncoder, name: &str, help: &str, value: i64) -> fmt::Result {
    ConstGauge::new(value).encode(encoder.encode_descriptor(name, help, None, MetricType::Gauge)?)
}
