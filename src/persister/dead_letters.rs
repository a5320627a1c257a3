//! What the persister does with entries that can never be written: it moves them to the
//! sale's dead-letter stream, so they stop blocking the entries behind them.
use super::{ExecutionOutcome, Persister, Tally};
use crate::domain::SaleBatch;
use crate::postgres;
use crate::redis::dead_entry;
use anyhow::Context;

impl Persister {
    pub(super) async fn bury_malformed(&mut self, batch: &mut [SaleBatch]) -> anyhow::Result<()> {
        for sale in batch.iter_mut().filter(|sale| !sale.malformed.is_empty()) {
            tracing::error!(sale_id = %sale.sale, entries = sale.malformed.len(), "malformed order entries moved to the dead letters");
            self.reader
                .stream
                .bury(&sale.sale, &sale.malformed, "malformed entry")
                .await?;
            self.metrics.dead_lettered(sale.malformed.len());
            sale.malformed.clear();
        }
        Ok(())
    }

    /// Writes a batch that keeps failing on its data one order per transaction: each order
    /// that fails alone on its data goes to the dead letters, the others are written, and an
    /// outage midway keeps what is left for the next attempt. An entry (a group commit's
    /// orders) is settled once all its orders are: acknowledging it earlier would drop the
    /// rest of its orders on a crash.
    pub(super) async fn isolate(
        &mut self,
        batch: Vec<SaleBatch>,
    ) -> anyhow::Result<ExecutionOutcome> {
        let entries = by_entry(batch);
        let mut total = Tally::default();
        for (done, entry) in entries.iter().enumerate() {
            if let Err(e) = self.isolate_entry(entry, &mut total).await {
                self.unsettled = Some(entries[done..].to_vec());
                return Err(e).context("writing orders one by one");
            }
        }
        self.data_refusals = 0;
        Ok(ExecutionOutcome::Persisted(total))
    }

    async fn isolate_entry(&self, entry: &SaleBatch, total: &mut Tally) -> anyhow::Result<()> {
        let mut written = Vec::new();
        let mut dead = Vec::new();
        for order in &entry.orders {
            let mut single = [SaleBatch {
                sale: entry.sale.clone(),
                orders: vec![order.clone()],
                malformed: Vec::new(),
            }];
            match postgres::persist_batch(&self.db, &mut single).await {
                Ok(tally) => {
                    self.count_persisted(tally);
                    total.confirmed += tally.confirmed;
                    total.rejected += tally.rejected;
                    total.duplicates += tally.duplicates;
                    written.push(order.order.order_id);
                }
                Err(e) if postgres::is_data_error(&e) => {
                    tracing::error!(sale_id = %entry.sale, error = %e, "an order that cannot be written moved to the dead letters");
                    // Operators read the reason through the admin API: the SQLSTATE, not
                    // Postgres's text (that is in the log line above).
                    let reason = format!("refused by postgres: {}", postgres::error_kind(&e));
                    dead.push((dead_entry(order), reason));
                }
                Err(e) => return Err(e.into()),
            }
        }
        let entry_id = entry.orders[0].entry_id.as_str();
        self.reader
            .stream
            .settle(&entry.sale, &[entry_id], &written, &dead)
            .await?;
        self.metrics.dead_lettered(dead.len());
        Ok(())
    }
}

/// The batch's orders grouped by the entry that carried them, in the order read.
fn by_entry(batch: Vec<SaleBatch>) -> Vec<SaleBatch> {
    let mut entries: Vec<SaleBatch> = Vec::new();
    for sale in batch {
        for order in sale.orders {
            match entries.last_mut() {
                Some(entry)
                    if entry.sale == sale.sale && entry.orders[0].entry_id == order.entry_id =>
                {
                    entry.orders.push(order);
                }
                _ => entries.push(SaleBatch {
                    sale: sale.sale.clone(),
                    orders: vec![order],
                    malformed: Vec::new(),
                }),
            }
        }
    }
    entries
}
