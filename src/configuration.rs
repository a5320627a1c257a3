//! Settings, read from flags or the environment (`clap`), with defaults that point at the
//! services `make services` starts. Tests build `Settings` directly.
mod persister;

pub use persister::PersisterSettings;

use crate::redis::RedisTarget;
use clap::Args;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Address the HTTP server binds; port 0 picks a free port.
    #[arg(long, env = "FLASHSALE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,

    /// When set, the admin API, the dashboard and `/metrics` are served only on this address
    /// (and the probes on both), so the public address can face the internet.
    #[arg(long, env = "FLASHSALE_ADMIN_LISTEN")]
    pub admin_listen: Option<String>,

    /// One Redis server; ignored when `REDIS_CLUSTER_NODES` is set.
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6390/0")]
    pub redis_url: String,

    /// A Redis Cluster's seed nodes, comma-separated (`redis://host:7000,redis://host:7001`):
    /// when set, every Redis call goes through the cluster client.
    #[arg(long, env = "REDIS_CLUSTER_NODES")]
    pub redis_cluster_nodes: Option<String>,

    /// A PEM file of the CAs that `rediss://` servers' certificates must chain to (a managed
    /// Redis's own CA); without it, the system's trust store. Setting it means TLS: every URL
    /// must then be `rediss://`.
    #[arg(long, env = "FLASHSALE_REDIS_CA_FILE")]
    pub redis_ca_file: Option<PathBuf>,

    /// Postgres; TLS as libpq spells it: `?sslmode=verify-full&sslrootcert=/path/ca.pem`
    /// (`require` encrypts without checking the certificate, `verify-ca` checks it chains to
    /// `sslrootcert`, `verify-full` also checks the host name; without `sslrootcert`, the
    /// system's trust store).
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "postgres://postgres@127.0.0.1:5440/flashsale"
    )]
    pub database_url: String,

    /// Bearer token for `/admin/*`; at least 16 characters.
    #[arg(long, env = "FLASHSALE_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,

    /// When set, buyers must present `Authorization: Bearer <HS256 JWT>` whose `sub` is the
    /// buyer; when not, the body's `user_id` is trusted (only behind a gateway that sets it).
    #[arg(long, env = "FLASHSALE_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// Prefix of every Redis key, so several deployments (or tests) can share one Redis.
    #[arg(long, env = "FLASHSALE_REDIS_PREFIX", default_value = "fs")]
    pub redis_prefix: String,

    /// How order attempts are decided: `redis` (the product) or a classic strategy kept for
    /// comparison (`pg-lock`, `pg-optimistic`, `pg-conditional`, `queue`, `file-lock`).
    #[arg(long, env = "FLASHSALE_ENGINE", value_enum, default_value_t = EngineKind::Redis)]
    pub engine: EngineKind,

    /// The `file-lock` engine's lock files, one per sale; defaults to `flashsale-locks` in the
    /// system's temporary directory. Instances exclude each other only through the same
    /// directory on the same host, and a lock file deleted while held (a temporary-files
    /// cleaner) lets two attempts in at once, so nothing else may delete files in it.
    #[arg(long, env = "FLASHSALE_FILE_LOCK_DIR")]
    pub file_lock_dir: Option<PathBuf>,

    /// HTTP worker threads; defaults to the number of CPUs.
    #[arg(long, env = "FLASHSALE_WORKERS")]
    pub workers: Option<usize>,

    /// Origins of browser front ends allowed to call the API (comma-separated, e.g.
    /// `https://shop.example,https://m.shop.example`); none by default (no CORS headers).
    #[arg(long, env = "FLASHSALE_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Vec<String>,

    #[arg(long, env = "FLASHSALE_DB_MAX_CONNECTIONS", default_value_t = 10)]
    pub db_max_connections: u32,

    /// How long an instance answers `sold_out` from memory before asking Redis again, so a
    /// restock made through another instance is noticed within this delay.
    #[arg(long, env = "FLASHSALE_SOLD_OUT_RECHECK_MS", default_value_t = 500)]
    pub sold_out_recheck_ms: u64,

    /// How long an order attempt waits for Redis's answer; past it the buyer gets 503
    /// `unavailable` (the attempt may have been taken: retry with the same Idempotency-Key).
    #[arg(long, env = "FLASHSALE_REDIS_TIMEOUT_MS", default_value_t = 500)]
    pub redis_timeout_ms: u64,

    /// When above 0, an accepted order is answered only after `WAIT` confirms its write reached
    /// this many replicas (once per group commit), within half of `redis_timeout_ms`; else the
    /// batch gets 503 `unavailable` (its orders may stand: retry with the same
    /// Idempotency-Key). An order so answered survives a failover to one of those replicas.
    #[arg(long, env = "FLASHSALE_REDIS_WAIT_REPLICAS", default_value_t = 0)]
    pub redis_wait_replicas: u32,

    /// Most order attempts this instance has in flight to Redis at once. Attempts beyond it queue
    /// for up to `redis_timeout_ms`, then get 503 `unavailable` before anything is sent
    /// (nothing taken), instead of piling onto a saturated CPU or Redis until they time out
    /// with an ambiguous 503.
    #[arg(long, env = "FLASHSALE_REDIS_MAX_IN_FLIGHT", default_value_t = 1024)]
    pub redis_max_in_flight: usize,

    /// Longest a request may take, body included; slower ones get 408 (slow-body clients),
    /// unless the order was already sent to Redis: then its answer is awaited.
    #[arg(long, env = "FLASHSALE_REQUEST_TIMEOUT_MS", default_value_t = 10_000)]
    pub request_timeout_ms: u64,

    /// Order attempts per second one buyer may make (bursts of twice that); 0 turns it off.
    #[arg(long, env = "FLASHSALE_RATE_PER_USER", default_value_t = 5)]
    pub rate_per_user: u32,

    /// Order attempts per second from one client IP (bursts of twice that); 0 turns it off.
    /// Off by default: behind a load balancer every client has the balancer's address.
    #[arg(long, env = "FLASHSALE_RATE_PER_IP", default_value_t = 0)]
    pub rate_per_ip: u32,

    /// Load balancers and proxies (addresses or CIDR ranges, comma-separated) whose
    /// `X-Forwarded-For` names the client for the per-IP limit; nobody's by default.
    #[arg(long, env = "FLASHSALE_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,

    /// Clients each rate limiter remembers, about 100 bytes each: past that it forgets those
    /// back at a full burst (then, if still over, everyone), so a flood of ids cannot grow it.
    #[arg(long, env = "FLASHSALE_RATE_LIMIT_CLIENTS", default_value_t = 50_000)]
    pub rate_limit_clients: usize,

    #[command(flatten)]
    pub persister: PersisterSettings,
}

impl Settings {
    /// Where Redis is: the cluster when `REDIS_CLUSTER_NODES` names any node, else `REDIS_URL`.
    pub fn redis_target(&self) -> RedisTarget {
        RedisTarget::new(&self.redis_url, self.redis_cluster_nodes.as_deref())
            .with_ca_file(self.redis_ca_file.clone())
    }

    pub fn workers(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(2, std::num::NonZero::get)
        })
    }

    pub fn file_lock_dir(&self) -> PathBuf {
        self.file_lock_dir
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("flashsale-locks"))
    }

    pub fn sold_out_recheck(&self) -> Duration {
        Duration::from_millis(self.sold_out_recheck_ms)
    }

    pub fn database_options(&self) -> anyhow::Result<PgConnectOptions> {
        PgConnectOptions::from_str(&self.database_url)
            .map_err(|e| anyhow::anyhow!("DATABASE_URL is not a valid Postgres URL: {e}"))
    }

    /// A lazily connecting pool: the server starts (and reports not-ready) while Postgres is
    /// down, instead of failing to boot.
    pub fn database_pool(&self) -> anyhow::Result<PgPool> {
        self.pool_of(self.db_max_connections)
    }

    /// The persister's pool, lazily connecting like the API's.
    pub fn persister_pool(&self) -> anyhow::Result<PgPool> {
        let loops = u32::try_from(self.persister.consumers.max(1)).unwrap_or(u32::MAX);
        self.pool_of(
            self.persister
                .db_connections
                .unwrap_or(loops.saturating_add(2))
                .max(1),
        )
    }

    fn pool_of(&self, connections: u32) -> anyhow::Result<PgPool> {
        Ok(PgPoolOptions::new()
            .max_connections(connections)
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy_with(self.database_options()?))
    }
}

/// How order attempts are decided (see `engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    #[default]
    Redis,
    PgLock,
    PgOptimistic,
    PgConditional,
    Queue,
    FileLock,
}
