//! Reading the `orders` table. The persister writes it (`persister::postgres`).
use crate::domain::{
    AcceptedOrder, IdempotencyKey, Order, OrderId, OrderStatus, PaymentRef, Quantity, SaleId,
    UserId,
};
use crate::error::Result;
use sqlx::{PgExecutor, PgPool, Row};
use std::collections::HashSet;

/// Quantities of a sale's persisted orders, by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    pub confirmed: i64,
    pub rejected: i64,
    pub awaiting_payment: i64,
    pub paid: i64,
    pub expired: i64,
    pub cancelled: i64,
    /// Expired and cancelled units not yet given back to Redis (`returned_at` unset): Redis
    /// still counts them taken.
    pub not_returned: i64,
}

impl Settled {
    /// Units sold and kept: what `sales.sold` counts and the per-user limit counts.
    pub fn holding(&self) -> i64 {
        self.confirmed + self.awaiting_payment + self.paid
    }

    /// Units Redis counts as taken for the persisted orders: held, rejected, and ended holds
    /// whose units it has not been given back yet.
    pub fn taken(&self) -> i64 {
        self.holding() + self.rejected + self.not_returned
    }
}

pub async fn find(db: &PgPool, sale: &SaleId, order: OrderId) -> Result<Option<Order>> {
    let row = sqlx::query(
        "SELECT user_id, quantity, status::text AS status, created_at, expires_at, payment_ref
         FROM orders WHERE order_id = $1 AND sale_id = $2",
    )
    .bind(order.as_uuid())
    .bind(sale.as_str())
    .fetch_optional(db)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let status: String = row.try_get("status")?;
    let quantity: i32 = row.try_get("quantity")?;
    Ok(Some(Order {
        order_id: order,
        sale_id: sale.clone(),
        user_id: stored_user(row.try_get("user_id")?)?,
        quantity: Quantity::parse(quantity.into())
            .map_err(|e| anyhow::anyhow!("stored quantity {quantity}: {e}"))?,
        status: OrderStatus::parse_stored(&status)
            .ok_or_else(|| anyhow::anyhow!("stored status {status}"))?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        payment_ref: row
            .try_get::<Option<String>, _>("payment_ref")?
            .map(|raw| PaymentRef::parse(&raw))
            .transpose()
            .map_err(|e| anyhow::anyhow!("stored payment_ref: {e}"))?,
    }))
}

/// Each buyer's confirmed quantity, to rebuild the per-user limit after Redis lost it.
/// Each buyer's quantity Redis counts against their limit (held, plus ended holds not given
/// back yet) and their rejected quantity (rejected orders took stock in Redis too, from their
/// buyer's bucket).
pub async fn quantities_by_buyer(db: &PgPool, sale: &SaleId) -> Result<Vec<(UserId, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT user_id,
                (SUM(quantity) FILTER (WHERE status IN ('confirmed', 'awaiting_payment', 'paid')
                    OR (status IN ('expired', 'cancelled') AND returned_at IS NULL)))::int8
                    AS confirmed,
                (SUM(quantity) FILTER (WHERE status = 'rejected'))::int8 AS rejected
         FROM orders WHERE sale_id = $1 GROUP BY user_id",
    )
    .bind(sale.as_str())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let confirmed: Option<i64> = row.try_get("confirmed")?;
            let rejected: Option<i64> = row.try_get("rejected")?;
            Ok((
                stored_user(row.try_get("user_id")?)?,
                confirmed.unwrap_or(0),
                rejected.unwrap_or(0),
            ))
        })
        .collect()
}

/// The sale's orders that carry an idempotency key, to write the keys back after Redis lost
/// the sale.
pub async fn with_idempotency_keys(db: &PgPool, sale: &SaleId) -> Result<Vec<AcceptedOrder>> {
    let rows = sqlx::query(
        "SELECT order_id, user_id, quantity, created_at, idempotency_key FROM orders
         WHERE sale_id = $1 AND idempotency_key IS NOT NULL",
    )
    .bind(sale.as_str())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let quantity: i32 = row.try_get("quantity")?;
            let key: String = row.try_get("idempotency_key")?;
            Ok(AcceptedOrder {
                order_id: OrderId::from_uuid(row.try_get("order_id")?),
                user_id: stored_user(row.try_get("user_id")?)?,
                quantity: Quantity::parse(quantity.into())
                    .map_err(|e| anyhow::anyhow!("stored quantity {quantity}: {e}"))?,
                created_at: row.try_get("created_at")?,
                idempotency_key: Some(
                    IdempotencyKey::parse(key.as_bytes())
                        .map_err(|e| anyhow::anyhow!("stored idempotency key: {e}"))?,
                ),
            })
        })
        .collect()
}

/// Buyers whose confirmed quantity passes the limit: there should never be any.
pub async fn buyers_over_limit(
    db: &PgPool,
    sale: &SaleId,
    limit: Quantity,
) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT user_id, SUM(quantity)::int8 AS quantity FROM orders
         WHERE sale_id = $1 AND status IN ('confirmed', 'awaiting_payment', 'paid')
         GROUP BY user_id HAVING SUM(quantity) > $2",
    )
    .bind(sale.as_str())
    .bind(i64::from(limit.get()))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("user_id")?, row.try_get("quantity")?)))
        .collect()
}

/// Which of these orders Postgres already holds (inside a transaction or not).
pub async fn existing<'c>(
    db: impl PgExecutor<'c>,
    orders: &[OrderId],
) -> sqlx::Result<HashSet<OrderId>> {
    let ids: Vec<uuid::Uuid> = orders.iter().map(OrderId::as_uuid).collect();
    let found: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT order_id FROM orders WHERE order_id = ANY($1)")
            .bind(&ids)
            .fetch_all(db)
            .await?;
    Ok(found.into_iter().map(OrderId::from_uuid).collect())
}

/// What Postgres holds of a sale at one instant.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settlement {
    pub settled: Settled,
    /// The sale's `sold` counter.
    pub sold: i64,
    /// Which of the orders asked about Postgres already holds.
    pub persisted: HashSet<OrderId>,
}

impl Settlement {
    /// The accepted orders Postgres does not hold yet: those really in flight.
    pub fn in_flight(&self, pending: Vec<AcceptedOrder>) -> Vec<AcceptedOrder> {
        pending
            .into_iter()
            .filter(|order| !self.persisted.contains(&order.order_id))
            .collect()
    }
}

/// The sale's settled quantities, its `sold` counter and which of `pending` are persisted, in
/// one statement, so all of it comes from one snapshot: an order the persister commits
/// meanwhile is counted either as settled or as pending, never both, never neither.
pub async fn settlement(db: &PgPool, sale: &SaleId, pending: &[OrderId]) -> Result<Settlement> {
    let ids: Vec<uuid::Uuid> = pending.iter().map(OrderId::as_uuid).collect();
    let row = sqlx::query(
        "SELECT COALESCE(SUM(quantity) FILTER (WHERE status = 'confirmed'), 0)::int8 AS confirmed,
                COALESCE(SUM(quantity) FILTER (WHERE status = 'rejected'), 0)::int8 AS rejected,
                COALESCE(SUM(quantity) FILTER (WHERE status = 'awaiting_payment'), 0)::int8
                    AS awaiting_payment,
                COALESCE(SUM(quantity) FILTER (WHERE status = 'paid'), 0)::int8 AS paid,
                COALESCE(SUM(quantity) FILTER (WHERE status = 'expired'), 0)::int8 AS expired,
                COALESCE(SUM(quantity) FILTER (WHERE status = 'cancelled'), 0)::int8 AS cancelled,
                COALESCE(SUM(quantity) FILTER (WHERE status IN ('expired', 'cancelled')
                    AND returned_at IS NULL), 0)::int8 AS not_returned,
                (SELECT sold FROM sales WHERE id = $1) AS sold,
                COALESCE(array_agg(order_id) FILTER (WHERE order_id = ANY($2)), '{}') AS persisted
         FROM orders WHERE sale_id = $1",
    )
    .bind(sale.as_str())
    .bind(&ids)
    .fetch_one(db)
    .await?;
    let persisted: Vec<uuid::Uuid> = row.try_get("persisted")?;
    Ok(Settlement {
        settled: Settled {
            confirmed: row.try_get("confirmed")?,
            rejected: row.try_get("rejected")?,
            awaiting_payment: row.try_get("awaiting_payment")?,
            paid: row.try_get("paid")?,
            expired: row.try_get("expired")?,
            cancelled: row.try_get("cancelled")?,
            not_returned: row.try_get("not_returned")?,
        },
        sold: row.try_get::<Option<i64>, _>("sold")?.unwrap_or_default(),
        persisted: persisted.into_iter().map(OrderId::from_uuid).collect(),
    })
}

fn stored_user(raw: String) -> Result<UserId> {
    UserId::parse(raw).map_err(|e| anyhow::anyhow!("stored user_id: {e}").into())
}
