//! The persister: moves accepted orders from the sales' Redis streams into Postgres.
//!
//! It reads with a consumer group, writes each batch in one transaction (idempotent, behind the
//! stock guard), and acknowledges entries only after the commit, so a crash at any point leaves
//! them pending for another consumer to claim. While Postgres is down it keeps the batch and
//! retries with backoff; on shutdown it finishes the batch in hand first. An entry that can
//! never be written (malformed, or refused by Postgres for its data three times) goes to the
//! sale's dead-letter stream instead of blocking the entries behind it; any other failure
//! (a failover, a revoked grant, a lock timeout) is retried for as long as it lasts, and
//! reported as a stall in the metrics and `/readyz`.
mod dead_letters;
mod reader;

pub use crate::postgres::Tally;

use crate::configuration::PersisterSettings;
use crate::domain::SaleBatch;
use crate::metrics::Metrics;
use crate::postgres;
use crate::redis::RedisStore;
use anyhow::Context;
use reader::{ReaderSettings, StreamReader};
use sqlx::PgPool;
use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A batch refused this many times for its data (not for an outage) is written one order at a
/// time, to find the order that can never be written.
const ATTEMPTS_BEFORE_ISOLATING: u32 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionOutcome {
    Persisted(Tally),
    /// Nothing was waiting.
    Idle,
}

pub struct Persister {
    reader: StreamReader,
    db: PgPool,
    metrics: Arc<Metrics>,
    consumer: String,
    /// A batch read but not yet committed (Postgres failed): retried before reading more.
    unsettled: Option<Vec<SaleBatch>>,
    /// Attempts at the unsettled batch that Postgres refused for its data.
    data_refusals: u32,
}

impl Persister {
    pub fn new(
        store: &RedisStore,
        db: PgPool,
        settings: &PersisterSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        let consumer = settings
            .consumer
            .clone()
            .unwrap_or_else(|| format!("persister-{}", uuid::Uuid::now_v7().simple()));
        let reader = StreamReader::new(
            store.orders_stream(consumer.clone()),
            ReaderSettings {
                batch_size: settings.batch_size.max(1),
                block: Duration::from_millis(settings.block_ms),
                claim_idle: Duration::from_millis(settings.claim_idle_ms),
            },
        );
        Self {
            reader,
            db,
            metrics,
            consumer,
            unsettled: None,
            data_refusals: 0,
        }
    }

    /// One step: read a batch (or retry the unsettled one), commit it, acknowledge it.
    pub async fn try_execute_task(&mut self) -> anyhow::Result<ExecutionOutcome> {
        let mut batch = match self.unsettled.take() {
            Some(batch) => batch,
            None => {
                self.data_refusals = 0;
                self.reader
                    .next_batch()
                    .await
                    .context("reading order streams")?
            }
        };
        if let Err(e) = self.bury_malformed(&mut batch).await {
            self.unsettled = Some(batch);
            return Err(e).context("moving malformed entries to the dead letters");
        }
        if batch.iter().all(|sale| sale.orders.is_empty()) {
            return Ok(ExecutionOutcome::Idle);
        }
        match postgres::persist_batch(&self.db, &mut batch).await {
            Ok(tally) => {
                self.metrics.persister_batch(true);
                self.acknowledge(&batch, tally).await;
                Ok(ExecutionOutcome::Persisted(tally))
            }
            Err(e) => {
                self.metrics.persister_batch(false);
                if postgres::is_data_error(&e) {
                    self.data_refusals += 1;
                    if self.data_refusals >= ATTEMPTS_BEFORE_ISOLATING {
                        tracing::warn!(error = %e, "a batch keeps failing on its data: writing its orders one by one");
                        return self.isolate(batch).await;
                    }
                }
                self.unsettled = Some(batch);
                Err(e).context("writing orders to postgres")
            }
        }
    }

    async fn acknowledge(&self, batch: &[SaleBatch], tally: Tally) {
        self.count_persisted(tally);
        for sale in batch {
            // A lost acknowledgement only means a redelivery, which the insert ignores.
            if let Err(e) = self.reader.stream.acknowledge(sale).await {
                tracing::warn!(sale_id = %sale.sale, error = %e, "acknowledging persisted orders failed; they will be redelivered");
            }
        }
    }

    fn count_persisted(&self, tally: Tally) {
        self.metrics.persisted("confirmed", tally.confirmed);
        self.metrics.persisted("rejected", tally.rejected);
        self.metrics.persisted("duplicate", tally.duplicates);
    }

    /// Starts `settings.consumers` persister loops, named apart, until `shutdown`.
    pub fn spawn_all(
        store: &RedisStore,
        db: &PgPool,
        settings: &PersisterSettings,
        metrics: &Arc<Metrics>,
        shutdown: &CancellationToken,
    ) -> Vec<JoinHandle<()>> {
        let base = settings
            .consumer
            .clone()
            .unwrap_or_else(|| format!("persister-{}", uuid::Uuid::now_v7().simple()));
        (0..settings.consumers.max(1))
            .map(|n| {
                let mut loop_settings = settings.clone();
                loop_settings.consumer = Some(format!("{base}-{n}"));
                let persister = Self::new(store, db.clone(), &loop_settings, metrics.clone());
                tokio::spawn(persister.run(shutdown.clone()))
            })
            .collect()
    }

    /// Runs until `shutdown` is cancelled, then returns once the batch in hand is settled.
    pub async fn run(mut self, shutdown: CancellationToken) {
        tracing::info!("persister started");
        let mut failures = 0;
        while !shutdown.is_cancelled() {
            match self.try_execute_task().await {
                Ok(_) => {
                    failures = 0;
                    self.metrics.persister_recovered(&self.consumer);
                }
                Err(e) => {
                    failures += 1;
                    self.metrics
                        .persister_failed(&self.consumer, &failure_kind(&e));
                    let delay = backoff(failures);
                    tracing::warn!(error = ?e, retry_in_ms = delay.as_millis() as u64, "persister step failed");
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        () = shutdown.cancelled() => {}
                    }
                }
            }
        }
        if let Some(batch) = &self.unsettled {
            let orders: usize = batch.iter().map(|sale| sale.orders.len()).sum();
            tracing::warn!(
                orders,
                "stopping with an unsettled batch: it stays pending in Redis for the next persister"
            );
        }
        tracing::info!("persister stopped");
    }
}

/// The failure's kind for the metrics: the Postgres error's SQLSTATE or kind, or `redis`.
fn failure_kind(error: &anyhow::Error) -> Cow<'static, str> {
    error
        .chain()
        .find_map(|cause| {
            if let Some(e) = cause.downcast_ref::<sqlx::Error>() {
                return Some(postgres::error_kind(e));
            }
            cause
                .downcast_ref::<redis::RedisError>()
                .map(|_| Cow::Borrowed("redis"))
        })
        .unwrap_or(Cow::Borrowed("other"))
}

/// 100 ms, doubling per consecutive failure, at most `MAX_BACKOFF`.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(100)
        .saturating_mul(1 << failures.min(10))
        .min(MAX_BACKOFF)
}
