//! The classic engines' statements: stock kept in the `sales` row, each order written before
//! its answer. Kept beside the product's statements so the benchmark compares like with like.
use crate::domain::{OrderAttempt, OrderId};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

/// What an attempt needs to know about the sale and the buyer.
pub struct Snapshot {
    /// The version an optimistic update is conditional on.
    pub sold: i64,
    pub stock_left: i64,
    pub per_user_limit: i64,
    pub not_started: bool,
    pub ended: bool,
    pub paused: bool,
    /// Quantity the buyer already has in this sale.
    pub bought: i64,
    /// The order an earlier attempt of this buyer with the same idempotency key created.
    pub earlier: Option<EarlierOrder>,
}

pub struct EarlierOrder {
    pub order_id: OrderId,
    pub quantity: i64,
    pub created_at: DateTime<Utc>,
}

/// Reads the sale row (locking it with `lock`) and the buyer's earlier orders; `None` when
/// the sale does not exist.
pub async fn snapshot(
    conn: &mut PgConnection,
    attempt: &OrderAttempt,
    lock: bool,
) -> Result<Option<Snapshot>> {
    let sale = sqlx::query(if lock {
        "SELECT sold, stock_total - sold AS stock_left, per_user_limit, now() < starts_at AS not_started,
                COALESCE(now() >= ends_at, false) AS ended, paused
         FROM sales WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT sold, stock_total - sold AS stock_left, per_user_limit, now() < starts_at AS not_started,
                COALESCE(now() >= ends_at, false) AS ended, paused
         FROM sales WHERE id = $1"
    })
    .bind(attempt.sale.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(sale) = sale else { return Ok(None) };
    let buyer = sqlx::query(
        "SELECT (SELECT COALESCE(SUM(quantity), 0)::int8 FROM orders
                 WHERE sale_id = $1 AND user_id = $2) AS bought,
                earlier.order_id, earlier.quantity, earlier.created_at
         FROM (SELECT 1) AS one
         LEFT JOIN orders AS earlier
                ON earlier.sale_id = $1 AND earlier.user_id = $2 AND earlier.idempotency_key = $3",
    )
    .bind(attempt.sale.as_str())
    .bind(attempt.user.as_str())
    .bind(attempt.idempotency_key.as_ref().map(|key| key.as_str()))
    .fetch_one(&mut *conn)
    .await?;
    let per_user_limit: i32 = sale.try_get("per_user_limit")?;
    let earlier_id: Option<uuid::Uuid> = buyer.try_get("order_id")?;
    let earlier = match earlier_id {
        Some(id) => Some(EarlierOrder {
            order_id: OrderId::from_uuid(id),
            quantity: i64::from(buyer.try_get::<i32, _>("quantity")?),
            created_at: buyer.try_get("created_at")?,
        }),
        None => None,
    };
    Ok(Some(Snapshot {
        sold: sale.try_get("sold")?,
        stock_left: sale.try_get("stock_left")?,
        per_user_limit: i64::from(per_user_limit),
        not_started: sale.try_get("not_started")?,
        ended: sale.try_get("ended")?,
        paused: sale.try_get("paused")?,
        bought: buyer.try_get("bought")?,
        earlier,
    }))
}

/// Takes stock from a sale row no other attempt can change meanwhile (row lock or file lock).
pub async fn take_stock(conn: &mut PgConnection, attempt: &OrderAttempt) -> Result<()> {
    sqlx::query("UPDATE sales SET sold = sold + $2 WHERE id = $1")
        .bind(attempt.sale.as_str())
        .bind(i64::from(attempt.quantity.get()))
        .execute(conn)
        .await?;
    Ok(())
}

/// The optimistic update: takes stock only if `sold` is still what was read.
pub async fn take_stock_if_unchanged(
    conn: &mut PgConnection,
    attempt: &OrderAttempt,
    sold_seen: i64,
) -> Result<bool> {
    let updated = sqlx::query("UPDATE sales SET sold = sold + $2 WHERE id = $1 AND sold = $3")
        .bind(attempt.sale.as_str())
        .bind(i64::from(attempt.quantity.get()))
        .bind(sold_seen)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(updated == 1)
}

/// The conditional update: takes stock only if enough is left and the sale is open and not
/// paused.
pub async fn take_stock_if_available(
    conn: &mut PgConnection,
    attempt: &OrderAttempt,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE sales SET sold = sold + $2
         WHERE id = $1 AND sold + $2 <= stock_total AND NOT paused
           AND starts_at <= now() AND (ends_at IS NULL OR now() < ends_at)",
    )
    .bind(attempt.sale.as_str())
    .bind(i64::from(attempt.quantity.get()))
    .execute(conn)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

/// Records the order as confirmed; returns its creation time (Postgres's clock, milliseconds).
pub async fn insert_confirmed(
    conn: &mut PgConnection,
    attempt: &OrderAttempt,
    order_id: OrderId,
) -> Result<DateTime<Utc>> {
    Ok(sqlx::query_scalar(
        "INSERT INTO orders (order_id, sale_id, user_id, quantity, status, created_at, idempotency_key)
         VALUES ($1, $2, $3, $4, 'confirmed', date_trunc('milliseconds', now()), $5)
         RETURNING created_at",
    )
    .bind(order_id.as_uuid())
    .bind(attempt.sale.as_str())
    .bind(attempt.user.as_str())
    .bind(attempt.quantity.get() as i32)
    .bind(attempt.idempotency_key.as_ref().map(|key| key.as_str()))
    .fetch_one(conn)
    .await?)
}
