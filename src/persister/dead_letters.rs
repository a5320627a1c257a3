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
    /// outage midway keeps what is left for the next attempt.
    pub(super) async fn isolate(
        &mut self,
        batch: Vec<SaleBatch>,
    ) -> anyhow::Result<ExecutionOutcome> {
        let orders: Vec<SaleBatch> = batch
            .into_iter()
            .flat_map(|sale| {
                let id = sale.sale;
                sale.orders.into_iter().map(move |order| SaleBatch {
                    sale: id.clone(),
                    orders: vec![order],
                    malformed: Vec::new(),
                })
            })
            .collect();
        let mut total = Tally::default();
        for (done, mut single) in orders
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, o)| (i, vec![o]))
        {
            let written = postgres::persist_batch(&self.db, &mut single).await;
            let settled = match written {
                Ok(tally) => {
                    total.confirmed += tally.confirmed;
                    total.rejected += tally.rejected;
                    total.duplicates += tally.duplicates;
                    self.acknowledge(&single, tally).await;
                    Ok(())
                }
                Err(e) if postgres::is_data_error(&e) => {
                    let order = &single[0];
                    tracing::error!(sale_id = %order.sale, error = %e, "an order that cannot be written moved to the dead letters");
                    let dead = dead_entry(&order.orders[0]);
                    // Operators read the reason through the admin API: the SQLSTATE, not
                    // Postgres's text (that is in the log line above).
                    let reason = format!("refused by postgres: {}", postgres::error_kind(&e));
                    let buried = self.reader.stream.bury(&order.sale, &[dead], &reason).await;
                    buried
                        .map(|()| self.metrics.dead_lettered(1))
                        .map_err(anyhow::Error::from)
                }
                Err(e) => Err(anyhow::Error::from(e)),
            };
            if let Err(e) = settled {
                self.unsettled = Some(orders[done..].to_vec());
                return Err(e).context("writing orders one by one");
            }
        }
        self.data_refusals = 0;
        Ok(ExecutionOutcome::Persisted(total))
    }
}
