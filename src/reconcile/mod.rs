//! Reconciliation: checks every invariant that ties Redis and Postgres together, and rebuilds
//! a sale's live counters when they broke (Redis lost its data, a restock half-failed, ...).
//!
//! The invariants, per sale: Redis and Postgres agree on `stock_total`;
//! `stock_total == stock_left + reserved`; `reserved == pending + awaiting_payment + paid +
//! confirmed + rejected` (plus ended holds not given back yet; on a
//! live sale: the orders found lie between `reserved` read before and after Postgres);
//! Postgres's `sold` equals its confirmed quantity; no buyer is above the per-user limit.
mod command;
mod repair;
mod split;
mod verify;

pub use command::{ReconcileArgs, run};
pub use repair::{Action, repair, restore};
pub use verify::verify_all;

use crate::domain::SaleId;
use crate::error::Result;
use crate::postgres;
use crate::redis::RedisStore;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Audit {
    pub sale_id: SaleId,
    /// Postgres's, the authoritative one.
    pub stock_total: i64,
    pub loaded: bool,
    /// Retired from Redis (see `crate::retirement`): not being held there is no problem.
    pub retired: bool,
    pub redis_stock_total: Option<i64>,
    pub stock_left: Option<i64>,
    pub reserved: Option<i64>,
    pub confirmed: i64,
    pub rejected: i64,
    pub awaiting_payment: i64,
    pub paid: i64,
    pub expired: i64,
    pub cancelled: i64,
    /// Expired and cancelled units Redis has not been given back yet: still taken there.
    pub returning: i64,
    /// Quantity of accepted orders still waiting in Redis.
    pub pending: i64,
    pub sold: i64,
    pub dead_letters: i64,
    pub buyers_over_limit: usize,
    pub problems: Vec<String>,
    /// `reserved` read again after Postgres: orders accepted meanwhile may already be counted
    /// as settled, so on a live sale the orders found lie between the two readings.
    #[serde(skip)]
    reserved_after: Option<i64>,
}

/// Audits a sale from one consistent view, so a busy, healthy sale shows no problem; `None`
/// when Postgres has no such sale.
///
/// Redis first, in one transaction (counters and pending orders at one instant), then Postgres
/// in one statement, then Redis's `reserved` again. Orders only move from Redis to Postgres, and
/// the persister commits before it forgets a pending order, so every order accepted before the
/// first read is either pending then or in Postgres's read (once, after removing the pending
/// ones Postgres holds too); orders accepted after it are counted by the second `reserved`.
pub async fn audit(redis: &RedisStore, db: &PgPool, sale: &SaleId) -> Result<Option<Audit>> {
    let Some(definition) = postgres::sales::find(db, sale).await? else {
        return Ok(None);
    };
    let snapshot = redis.sale_snapshot(sale, definition.buckets).await?;
    let pending_orders = snapshot
        .as_ref()
        .map(|(_, pending)| pending.clone())
        .unwrap_or_default();
    let ids: Vec<_> = pending_orders.iter().map(|order| order.order_id).collect();
    let settlement = postgres::orders::settlement(db, sale, &ids).await?;
    let reserved_after = redis.reserved(sale, definition.buckets).await?;
    let over_limit =
        postgres::orders::buyers_over_limit(db, sale, definition.per_user_limit).await?;
    let pending: i64 = settlement
        .in_flight(pending_orders)
        .iter()
        .map(|order| i64::from(order.quantity.get()))
        .sum();
    let live = snapshot.map(|(live, _)| live);
    let mut audit = Audit {
        sale_id: sale.clone(),
        stock_total: definition.stock_total.get(),
        loaded: live.is_some(),
        retired: live.is_none()
            && postgres::retirement::find_retired(db, sale)
                .await?
                .is_some(),
        redis_stock_total: live.as_ref().map(|l| l.definition.stock_total.get()),
        stock_left: live.as_ref().map(|l| l.stock_left),
        reserved: live.as_ref().map(|l| l.reserved),
        confirmed: settlement.settled.confirmed,
        rejected: settlement.settled.rejected,
        awaiting_payment: settlement.settled.awaiting_payment,
        paid: settlement.settled.paid,
        expired: settlement.settled.expired,
        cancelled: settlement.settled.cancelled,
        returning: settlement.settled.not_returned,
        pending,
        sold: settlement.sold,
        dead_letters: redis.dead_letters(sale, definition.buckets).await?,
        buyers_over_limit: over_limit.len(),
        problems: Vec::new(),
        reserved_after,
    };
    audit.problems = problems(&audit);
    Ok(Some(audit))
}

impl Audit {
    /// Units Redis should count as taken: held, rejected, ended and not returned yet, pending.
    pub fn taken(&self) -> i64 {
        self.confirmed
            + self.awaiting_payment
            + self.paid
            + self.rejected
            + self.returning
            + self.pending
    }
}

fn problems(audit: &Audit) -> Vec<String> {
    let mut found = Vec::new();
    let holding = audit.confirmed + audit.awaiting_payment + audit.paid;
    let taken = audit.taken();
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
            let reserved_after = audit.reserved_after.unwrap_or(reserved);
            if taken < reserved || taken > reserved_after {
                found.push(format!(
                    "reserved {reserved} != pending {} + awaiting_payment {} + paid {} + \
                     confirmed {} + rejected {} (+ {} ended, not yet returned)",
                    audit.pending,
                    audit.awaiting_payment,
                    audit.paid,
                    audit.confirmed,
                    audit.rejected,
                    audit.returning
                ));
            }
        }
        _ if audit.retired => {}
        _ => found.push("Redis does not hold the sale".to_owned()),
    }
    if audit.sold != holding {
        found.push(format!(
            "Postgres sold {} != confirmed, awaiting_payment and paid quantity {holding}",
            audit.sold
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
