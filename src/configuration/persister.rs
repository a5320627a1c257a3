//! The persister's settings and those of the background work that runs beside it (the hold
//! sweeper, the retirer), flattened into `Settings`.
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct PersisterSettings {
    /// Run the persister inside this process (tests turn it off to drive it by hand).
    #[arg(long = "persister", env = "FLASHSALE_PERSISTER", default_value_t = true, action = clap::ArgAction::Set)]
    pub enabled: bool,

    /// Persister loops run side by side in this process, each its own consumer, so that one
    /// reads and acknowledges while another waits for Postgres.
    #[arg(long, env = "FLASHSALE_PERSISTER_CONSUMERS", default_value_t = 4)]
    pub consumers: usize,

    /// Most entries read from a sale's stream and written to Postgres in one transaction. An
    /// entry holds one group commit's orders: one at low load, up to 128 in a storm.
    #[arg(long, env = "FLASHSALE_PERSISTER_BATCH", default_value_t = 100)]
    pub batch_size: usize,

    /// How often this process expires the payment holds past their deadline (and finishes any
    /// return of units cut short): a hold ends within about this long of its deadline.
    #[arg(long, env = "FLASHSALE_HOLD_SWEEP_MS", default_value_t = 1000)]
    pub hold_sweep_ms: u64,

    /// How long a sale's keys stay in Redis once it has ended and everything of it is in
    /// Postgres (no order pending, no dead letter, no hold to settle); its reads and idempotent
    /// replays are then answered from Postgres.
    #[arg(long, env = "FLASHSALE_SALE_RETENTION_S", default_value_t = 86_400)]
    pub sale_retention_s: u64,

    /// How often this process looks for ended sales to retire from Redis.
    #[arg(long, env = "FLASHSALE_RETIRE_CHECK_MS", default_value_t = 60_000)]
    pub retire_check_ms: u64,

    /// How long one blocking stream read waits for new orders.
    #[arg(long, env = "FLASHSALE_PERSISTER_BLOCK_MS", default_value_t = 250)]
    pub block_ms: u64,

    /// Entries delivered to a consumer and unacknowledged for this long are taken over:
    /// that consumer is presumed dead.
    #[arg(
        long,
        env = "FLASHSALE_PERSISTER_CLAIM_IDLE_MS",
        default_value_t = 30_000
    )]
    pub claim_idle_ms: u64,

    /// Consumer name in the stream group (a suffix tells this process's loops apart); defaults
    /// to a fresh unique name per process.
    #[arg(long, env = "FLASHSALE_PERSISTER_CONSUMER")]
    pub consumer: Option<String>,

    /// Size of the persister's own Postgres pool, apart from the API's, so that a flood of
    /// order lookups or readiness probes cannot delay persistence; defaults to one connection
    /// per loop plus two (the hold sweeper has one).
    #[arg(long, env = "FLASHSALE_PERSISTER_DB_CONNECTIONS")]
    pub db_connections: Option<u32>,
}
