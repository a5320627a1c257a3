//! Rebuilding a sale's live counters in Redis from Postgres and the orders still pending.
use super::Audit;
use super::split;
use crate::domain::{AcceptedOrder, Buckets, SaleDefinition, SaleId, UserId};
use crate::error::Result;
use crate::postgres;
use crate::redis::RedisStore;
use serde::Serialize;
use sqlx::PgPool;
use std::cmp::Reverse;
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Nothing was wrong.
    None,
    /// Redis had lost the sale: buyers and counters were loaded again.
    Restored,
    /// Redis held the sale with wrong counters: they were reset.
    Reset {
        old_stock_left: i64,
        new_stock_left: i64,
    },
}

/// Repairs what `audit` found. Never makes more sellable than `stock_total` minus confirmed,
/// rejected and pending quantities (and whatever sells meanwhile).
pub async fn repair(
    redis: &RedisStore,
    db: &PgPool,
    sale: &SaleDefinition,
    audit: &Audit,
) -> Result<Action> {
    if audit.problems.is_empty() {
        return Ok(Action::None);
    }
    let Some(reserved_seen) = audit.reserved.filter(|_| audit.loaded) else {
        restore(redis, db, sale).await?;
        return Ok(Action::Restored);
    };
    if sale.buckets != Buckets::ONE {
        return split::repair_buckets(redis, db, sale).await;
    }
    let taken = audit.taken();
    match redis
        .reset_counters(&sale.id, Some(audit.stock_total), taken, reserved_seen)
        .await?
    {
        Some((old_stock_left, new_stock_left)) => Ok(Action::Reset {
            old_stock_left,
            new_stock_left,
        }),
        None => {
            restore(redis, db, sale).await?;
            Ok(Action::Restored)
        }
    }
}

/// Loads a sale Redis lost: each buyer's idempotency keys first (harmless while the sale hash
/// is absent: nothing sells), then each buyer's taken quantity and stock equal to `stock_total`
/// minus everything taken (orders in Postgres plus accepted orders still waiting in Redis), in
/// the one step that makes the sale sellable, so concurrent preloads cannot overwrite the counts
/// of a sale that already sells again. Keeps a sale Redis still holds as it is. Returns whether
/// the sale was loaded.
///
/// Redis's pending orders are read before Postgres: an order the persister moves in between is
/// then counted twice (less stock sellable), never missed (more sellable than exists).
///
/// A paused sale is loaded paused. A pause or an end recorded while the sale was being loaded
/// found no sale in Redis to apply to, so Postgres is read again after loading and what
/// changed is applied to the now live sale (a restore never resumes it nor reopens it).
/// A retired sale stops being one first: Redis is about to hold it again.
pub async fn restore(redis: &RedisStore, db: &PgPool, sale: &SaleDefinition) -> Result<bool> {
    postgres::retirement::unretire(db, &sale.id).await?;
    let paused = postgres::sales::paused(db, &sale.id).await?;
    let loaded = if sale.buckets == Buckets::ONE {
        restore_counters(redis, db, sale, paused).await?
    } else {
        split::restore_buckets(redis, db, sale, paused).await?
    };
    let paused_now = postgres::sales::paused_after_pending_changes(db, &sale.id).await?;
    let definition_now = postgres::sales::find(db, &sale.id).await?;
    if let Some(definition) = definition_now.filter(|now| paused_now != paused || now != sale) {
        redis.load_sale(&definition, 0, 0, &[], paused_now).await?;
    }
    Ok(loaded)
}

async fn restore_counters(
    redis: &RedisStore,
    db: &PgPool,
    sale: &SaleDefinition,
    paused: bool,
) -> Result<bool> {
    if redis.is_loaded(&sale.id).await? {
        return redis.load_sale(sale, 0, 0, &[], paused).await;
    }
    let Taken {
        buyers,
        keyed,
        reserved,
        ..
    } = taken(redis, db, &sale.id, Buckets::ONE).await?;
    redis.restore_idempotency(&sale.id, &keyed).await?;
    let stock_left = (sale.stock_total.get() - reserved).max(0);
    redis
        .load_sale(sale, stock_left, reserved, &buyers, paused)
        .await
}

/// What Postgres and the orders still pending in Redis say was taken from a sale.
pub(super) struct Taken {
    /// Each buyer's quantity: confirmed in Postgres plus accepted and still pending.
    pub buyers: Vec<(UserId, i64)>,
    /// Orders with an idempotency key, in the order their records are to be written.
    pub keyed: Vec<AcceptedOrder>,
    /// Confirmed, rejected and pending quantities together.
    pub reserved: i64,
    /// Each buyer's rejected quantity: stock Redis took that Postgres did not confirm.
    pub rejected: Vec<(UserId, i64)>,
}

pub(super) async fn taken(
    redis: &RedisStore,
    db: &PgPool,
    sale: &SaleId,
    buckets: Buckets,
) -> Result<Taken> {
    let pending = redis.pending_orders(sale, buckets).await?;
    let ids: Vec<_> = pending.iter().map(|order| order.order_id).collect();
    let settlement = postgres::orders::settlement(db, sale, &ids).await?;
    let settled = settlement.settled;
    let mut in_flight = settlement.in_flight(pending);
    let mut buyers: HashMap<UserId, i64> = HashMap::new();
    let mut rejected = Vec::new();
    for (user, confirmed, refused) in postgres::orders::quantities_by_buyer(db, sale).await? {
        if refused > 0 {
            rejected.push((user.clone(), refused));
        }
        if confirmed > 0 {
            buyers.insert(user, confirmed);
        }
    }
    // Two orders of one buyer with one key mean Redis lost the key and took the retry; the
    // persister keeps the first and rejects the others, so the first must be the one replayed.
    // Later records win: newest in flight first, oldest in flight next, Postgres's last.
    in_flight.sort_by_key(|order| Reverse((order.created_at, order.order_id.as_uuid())));
    let mut keyed = Vec::with_capacity(in_flight.len());
    let mut in_flight_quantity = 0;
    for order in in_flight {
        let quantity = i64::from(order.quantity.get());
        in_flight_quantity += quantity;
        *buyers.entry(order.user_id.clone()).or_default() += quantity;
        keyed.push(order);
    }
    keyed.extend(postgres::orders::with_idempotency_keys(db, sale).await?);
    Ok(Taken {
        buyers: buyers.into_iter().collect(),
        keyed,
        reserved: settled.taken() + in_flight_quantity,
        rejected,
    })
}
