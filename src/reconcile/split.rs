//! Restoring a sale whose stock is split over buckets (see `engine::split_stock`), and writing
//! a taken record back bucket by bucket: each buyer's count and keys go to their home bucket.
use super::repair::{Taken, taken};
use crate::domain::{AcceptedOrder, SaleDefinition, UserId};
use crate::error::Result;
use crate::redis::RedisStore;
use sqlx::PgPool;

/// Loads the buckets Redis lost and refreshes the others. When every bucket was lost, Postgres
/// and the pending orders tell what is left and it is shared out again; when some survived,
/// they hold an unknown part of what is left (stock moves between buckets), so a lost bucket
/// comes back with its buyers and none of the stock: it can undersell, never oversell, and
/// buyers homed there get stock moved from the live buckets. Returns whether bucket 0 was
/// loaded.
pub(super) async fn restore_buckets(
    redis: &RedisStore,
    db: &PgPool,
    sale: &SaleDefinition,
    paused: bool,
) -> Result<bool> {
    let mut lost = Vec::new();
    for bucket in sale.buckets.all() {
        if !redis.is_loaded(&sale.id.bucket(bucket)).await? {
            lost.push(bucket);
        }
    }
    if lost.is_empty() {
        return redis.load_sale(sale, 0, 0, &[], paused).await;
    }
    let taken = taken(redis, db, &sale.id, sale.buckets).await?;
    let left = match lost.len() == usize::from(sale.buckets.get()) {
        true => (sale.stock_total.get() - taken.reserved).max(0),
        false => 0,
    };
    let by_buyers: i64 = taken.buyers.iter().map(|(_, quantity)| quantity).sum();
    let mut loaded = false;
    for bucket in sale.buckets.all() {
        let definition = sale.bucket(bucket);
        if !lost.contains(&bucket) {
            redis.load_bucket(&definition, 0, 0, &[], paused).await?;
            continue;
        }
        let (buyers, keyed) = homed(sale, bucket, &taken);
        redis.restore_idempotency(&definition.id, &keyed).await?;
        // Rejected orders took stock too; bucket 0 carries them.
        let mut reserved: i64 = buyers.iter().map(|(_, quantity)| quantity).sum();
        if bucket == 0 {
            reserved += taken.reserved - by_buyers;
        }
        let stock_left = sale.buckets.share(left, bucket);
        let written = redis
            .load_bucket(&definition, stock_left, reserved, &buyers, paused)
            .await?;
        loaded |= written && bucket == 0;
    }
    Ok(loaded)
}

/// Writes each buyer's keys again and raises each buyer's count to what was taken, in their
/// home bucket (the sale itself when it is not split).
pub(super) async fn rewrite_buyers(
    redis: &RedisStore,
    sale: &SaleDefinition,
    taken: &Taken,
) -> Result<()> {
    for bucket in sale.buckets.all() {
        let (buyers, keyed) = homed(sale, bucket, taken);
        let name = sale.id.bucket(bucket);
        redis.restore_idempotency(&name, &keyed).await?;
        redis.raise_buyers(&name, &buyers).await?;
    }
    Ok(())
}

/// The buyers and keyed orders of `taken` whose home is `bucket`, in their order.
fn homed(
    sale: &SaleDefinition,
    bucket: u16,
    taken: &Taken,
) -> (Vec<(UserId, i64)>, Vec<AcceptedOrder>) {
    let home = |user: &UserId| sale.buckets.home(user) == bucket;
    let buyers = taken
        .buyers
        .iter()
        .filter(|(user, _)| home(user))
        .cloned()
        .collect();
    let keyed = taken
        .keyed
        .iter()
        .filter(|order| home(&order.user_id))
        .cloned()
        .collect();
    (buyers, keyed)
}
