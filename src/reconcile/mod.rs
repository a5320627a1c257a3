//! Reconciliation: checks every invariant that ties Redis and Postgres together, and rebuilds
//! a sale's live counters when they broke (Redis lost its data, a restock half-failed, ...).
//!
//! The invariants, per sale: Redis and Postgres agree on `stock_total`;
//! `stock_total == stock_left + reserved`; `reserved == confirmed + pending + rejected`;
//! Postgres's `sold` equals its confirmed quantity; no buyer is above the per-user limit.
mod command;
mod repair;

pub use command::{ReconcileArgs, run};
pub use repair::{Action, repair, restore};

use crate::domain::SaleId;
use crate::error::Result;
use crate::postgres;
use crate::redis::RedisStore;
use serde::Serialize;
use sqlx::PgPool;
use std::time::Duration;

/// Orders move from Redis to Postgres while an audit reads both; a mismatch is re-read this
/// many times before it is reported.
const READS: usize = 3;

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub sale_id: SaleId,
    /// Postgres's, the authoritative one.
    pub stock_total: i64,
    pub loaded: bool,
    pub redis_stock_total: Option<i64>,
    pub stock_left: Option<i64>,
    pub reserved: Option<i64>,
    pub confirmed: i64,
    pub rejected: i64,
    /// Quantity of accepted orders still waiting in Redis.
    pub pending: i64,
    pub sold: i64,
    pub dead_letters: i64,
    pub buyers_over_limit: usize,
    pub problems: Vec<String>,
}

/// Audits a sale, re-reading while orders in flight make it look inconsistent; `None` when
/// Postgres has no such sale.
pub async fn audit(redis: &RedisStore, db: &PgPool, sale: &SaleId) -> Result<Option<Audit>> {
    let mut last = None;
    for read in 0..READS {
        if read > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let Some(audit) = audit_once(redis, db, sale).await? else {
            return Ok(None);
        };
        let clean = audit.problems.is_empty();
        last = Some(audit);
        if clean {
            break;
        }
    }
    Ok(last)
}

async fn audit_once(redis: &RedisStore, db: &PgPool, sale: &SaleId) -> Result<Option<Audit>> {
    let Some(definition) = postgres::sales::find(db, sale).await? else {
        return Ok(None);
    };
    let settled = postgres::orders::settled(db, sale).await?;
    let sold = postgres::sales::sold(db, sale).await?;
    let over_limit =
        postgres::orders::buyers_over_limit(db, sale, definition.per_user_limit).await?;
    let live = redis.live_sale(sale).await?;
    let pending: i64 = postgres::orders::still_pending(db, redis.pending_orders(sale).await?)
        .await?
        .iter()
        .map(|order| i64::from(order.quantity.get()))
        .sum();
    let stock_total = definition.stock_total.get();
    let mut audit = Audit {
        sale_id: sale.clone(),
        stock_total,
        loaded: live.is_some(),
        redis_stock_total: live.as_ref().map(|l| l.definition.stock_total.get()),
        stock_left: live.as_ref().map(|l| l.stock_left),
        reserved: live.as_ref().map(|l| l.reserved),
        confirmed: settled.confirmed,
        rejected: settled.rejected,
        pending,
        sold,
        dead_letters: redis.dead_letters(sale).await?,
        buyers_over_limit: over_limit.len(),
        problems: Vec::new(),
    };
    audit.problems = problems(&audit);
    Ok(Some(audit))
}

fn problems(audit: &Audit) -> Vec<String> {
    let mut found = Vec::new();
    let taken = audit.confirmed + audit.pending + audit.rejected;
    match (audit.redis_stock_total, audit.stock_left, audit.reserved) {
        (Some(redis_total), Some(left), Some(reserved)) => {
            if redis_total != audit.stock_total {
                found.push(format!(
                    "stock_total is {} in Postgres but {redis_total} in Redis",
                    audit.stock_total
                ));
            }
            if left < 0 || redis_total != left + reserved {
                found.push(format!(
                    "stock_total {redis_total} != stock_left {left} + reserved {reserved}"
                ));
            }
            if reserved != taken {
                found.push(format!(
                    "reserved {reserved} != confirmed {} + pending {} + rejected {}",
                    audit.confirmed, audit.pending, audit.rejected
                ));
            }
        }
        _ => found.push("Redis does not hold the sale".to_owned()),
    }
    if audit.sold != audit.confirmed {
        found.push(format!(
            "Postgres sold {} != confirmed quantity {}",
            audit.sold, audit.confirmed
        ));
    }
    if audit.buyers_over_limit > 0 {
        found.push(format!(
            "{} buyers above the per-user limit",
            audit.buyers_over_limit
        ));
    }
    found
}
