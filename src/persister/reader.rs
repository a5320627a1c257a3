//! What the persister reads next: abandoned entries when a claim round is due and finds some,
//! otherwise new entries; the list of sales is refreshed on the way.
use crate::domain::{SaleBatch, SaleId};
use crate::redis::OrdersStream;
use redis::RedisResult;
use std::time::{Duration, Instant};

/// How often finished sales are looked for, to be forgotten.
const FORGET_EVERY: Duration = Duration::from_secs(1);

pub struct ReaderSettings {
    pub batch_size: usize,
    pub block: Duration,
    pub claim_idle: Duration,
}

pub struct StreamReader {
    pub stream: OrdersStream,
    settings: ReaderSettings,
    sales: Vec<SaleId>,
    forgotten_at: Option<Instant>,
    claimed_at: Option<Instant>,
}

impl StreamReader {
    pub fn new(stream: OrdersStream, settings: ReaderSettings) -> Self {
        Self {
            stream,
            settings,
            sales: Vec::new(),
            forgotten_at: None,
            claimed_at: None,
        }
    }

    /// The next entries to persist: entries abandoned by a dead consumer when a claim round is
    /// due and finds some, otherwise new entries (waiting up to `block` for them).
    pub async fn next_batch(&mut self) -> RedisResult<Vec<SaleBatch>> {
        let due = |at: Option<Instant>, every: Duration| at.is_none_or(|t| t.elapsed() >= every);
        self.sales = self.stream.active_sales().await?;
        if due(self.forgotten_at, FORGET_EVERY) {
            self.stream.forget_finished(&mut self.sales).await?;
            self.forgotten_at = Some(Instant::now());
        }
        if self.sales.is_empty() {
            tokio::time::sleep(self.settings.block).await;
            return Ok(Vec::new());
        }
        if due(self.claimed_at, self.settings.claim_idle / 2) {
            self.claimed_at = Some(Instant::now());
            let claimed = self
                .stream
                .claim_abandoned(
                    &self.sales,
                    self.settings.claim_idle,
                    self.settings.batch_size,
                )
                .await?;
            if !claimed.is_empty() {
                for batch in &claimed {
                    tracing::info!(sale_id = %batch.sale, orders = batch.orders.len(), "claimed orders abandoned by a consumer");
                }
                // There may be more than one batch's worth: claim again on the next call.
                self.claimed_at = None;
                return Ok(claimed);
            }
        }
        self.stream
            .read_new(&self.sales, self.settings.batch_size, self.settings.block)
            .await
    }
}
