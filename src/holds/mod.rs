//! Payment holds (a sale with `payment_window_s`): a won order is a hold its buyer pays within
//! the window, or it expires, or the buyer cancels it; the units of an unpaid hold go back on
//! sale, once.
//!
//! An end is first a conditional transition in Postgres (`postgres::holds`), then the return in
//! Redis, keyed by order id (`lua/return_stock.lua`), then `returned_at` in Postgres. A crash
//! between the steps leaves a hold ended and not returned, which the sweeper returns later; a
//! return run twice is a no-op. Until returned, the units count as taken everywhere (a restore
//! from Postgres too), so nothing is ever sold twice.
mod sweeper;

pub use sweeper::spawn_sweeper;

use crate::domain::{Buckets, SaleId};
use crate::error::Result;
use crate::postgres;
use crate::postgres::holds::EndedHold;
use crate::redis::RedisStore;
use sqlx::PgPool;
use std::collections::HashMap;

/// Gives these ended holds' units back in Redis and records it in Postgres; how many went back
/// by this call (others may have been given back by another sweeper already).
/// A hold whose sale Redis does not hold stays to return (restore counts its units as taken,
/// and a later pass returns them into the restored sale).
pub async fn give_back(redis: &RedisStore, db: &PgPool, holds: &[EndedHold]) -> Result<usize> {
    let mut buckets: HashMap<&SaleId, Buckets> = HashMap::new();
    let mut returned = Vec::with_capacity(holds.len());
    let mut now = 0;
    for hold in holds {
        let count = match buckets.get(&hold.sale_id) {
            Some(count) => *count,
            None => {
                let definition = postgres::sales::find(db, &hold.sale_id).await?;
                let count = definition.map_or(Buckets::ONE, |sale| sale.buckets);
                buckets.insert(&hold.sale_id, count);
                count
            }
        };
        let (order, user) = (hold.order_id, &hold.user_id);
        let outcome = redis
            .return_stock(&hold.sale_id, count, order, user, hold.quantity)
            .await?;
        if let Some(by_this_call) = outcome {
            returned.push(order);
            now += usize::from(by_this_call);
        }
    }
    postgres::holds::mark_returned(db, &returned).await?;
    Ok(now)
}
