//! Verifying every sale Redis may sell against Postgres, after Redis came back with data the
//! service has not seen before (a restart, from an older copy or from none, or a failover).
use super::repair::taken;
use super::split::rewrite_buyers;
use super::{audit, repair, restore};
use crate::domain::{Buckets, SaleId};
use crate::error::Result;
use crate::postgres;
use crate::redis::RedisStore;
use sqlx::PgPool;

/// Verifies the sales in the persisters' index (what Redis holds) and, if this deployment's
/// Redis was verified before (so an empty Redis lost its sales rather than being new),
/// Postgres's sales that have not ended (what Redis may have lost). Returns how many were
/// verified.
///
/// Per sale: a sale Redis lost is restored (buyers, idempotency keys, counters). A sale it
/// holds gets Postgres's pause and end applied again, its idempotency keys written again and each buyer's count raised to what was
/// taken, then its counters reset if the audit finds them off (older data sells stock that is
/// gone). Each step is the one `reconcile` and `preload` use, safe to race other instances
/// doing the same and live traffic.
pub async fn verify_all(redis: &RedisStore, db: &PgPool) -> Result<usize> {
    let mut sales = redis
        .orders_stream("verifier".to_owned())
        .active_sales()
        .await?;
    if postgres::deployments::was_verified(db, redis.keys().prefix()).await? {
        for sale in postgres::sales::unended_ids(db).await? {
            if !sales.contains(&sale) {
                sales.push(sale);
            }
        }
    }
    for sale in &sales {
        verify_sale(redis, db, sale).await?;
    }
    Ok(sales.len())
}

async fn verify_sale(redis: &RedisStore, db: &PgPool, sale: &SaleId) -> Result<()> {
    let Some(definition) = postgres::sales::find(db, sale).await? else {
        return Ok(());
    };
    let held = redis.is_loaded(sale).await?;
    // A lost sale is loaded with its buyers and keys. A held one gets Postgres's definition,
    // pause and earlier end back: an older copy may predate them.
    restore(redis, db, &definition).await?;
    // A split sale's other buckets may have been held even if bucket 0 was lost, and the
    // buckets restored without stock are given theirs back by the repair.
    if !held && definition.buckets == Buckets::ONE {
        return Ok(());
    }
    let taken = taken(redis, db, sale, definition.buckets).await?;
    rewrite_buyers(redis, &definition, &taken).await?;
    if let Some(found) = audit(redis, db, sale).await? {
        let action = repair(redis, db, &definition, &found).await?;
        tracing::info!(sale_id = %sale, ?action, problems = ?found.problems, "sale verified");
    }
    Ok(())
}
