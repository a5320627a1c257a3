//! Sales retired from Redis (see `crate::retirement`): which may go, and what Postgres answers
//! for them afterwards.
use super::classic::EarlierOrder;
use super::sales::definition;
use crate::domain::{OrderAttempt, OrderId, SaleDefinition, SaleId};
use crate::error::Result;
use sqlx::{PgPool, Row};

/// A retired sale as Postgres holds it.
#[derive(Debug, Clone)]
pub struct RetiredSale {
    pub definition: SaleDefinition,
    /// Units its orders took, rejected ones included, as Redis counted them when it let the
    /// sale go: `stock_total - taken` was its `stock_left`.
    pub taken: i64,
}

impl RetiredSale {
    pub fn stock_left(&self) -> i64 {
        self.definition.stock_total.get() - self.taken
    }
}

/// Up to `limit` sales that ended at least `after_end_s` ago, are not retired, and have no
/// hold left to settle: none awaiting payment, none ended whose units are not back in Redis.
pub async fn retirable(db: &PgPool, after_end_s: f64, limit: i64) -> Result<Vec<SaleDefinition>> {
    let rows = sqlx::query(
        "SELECT s.id, s.name, s.stock_total, s.per_user_limit, s.starts_at, s.ends_at, s.buckets,
                s.payment_window_s
         FROM sales s
         WHERE s.retired_at IS NULL AND s.ends_at IS NOT NULL
           AND s.ends_at < now() - make_interval(secs => $1)
           AND NOT EXISTS (
               SELECT 1 FROM orders o WHERE o.sale_id = s.id
                 AND (o.status = 'awaiting_payment'
                      OR (o.status IN ('expired', 'cancelled') AND o.returned_at IS NULL)))
         ORDER BY s.ends_at LIMIT $2",
    )
    .bind(after_end_s)
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let id =
                SaleId::parse(&id).map_err(|e| anyhow::anyhow!("stored sale id {id:?}: {e}"))?;
            definition(&id, row)
        })
        .collect()
}

pub async fn mark_retired(db: &PgPool, sale: &SaleId) -> Result<()> {
    sqlx::query("UPDATE sales SET retired_at = now() WHERE id = $1 AND retired_at IS NULL")
        .bind(sale.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// Before a retired sale is loaded into Redis again: from then on Redis holds it.
pub async fn unretire(db: &PgPool, sale: &SaleId) -> Result<()> {
    sqlx::query("UPDATE sales SET retired_at = NULL WHERE id = $1 AND retired_at IS NOT NULL")
        .bind(sale.as_str())
        .execute(db)
        .await?;
    Ok(())
}

/// The sale, if it is retired.
pub async fn find_retired(db: &PgPool, sale: &SaleId) -> Result<Option<RetiredSale>> {
    let row = sqlx::query(
        "SELECT s.id, s.name, s.stock_total, s.per_user_limit, s.starts_at, s.ends_at, s.buckets,
                s.payment_window_s,
                (SELECT COALESCE(SUM(o.quantity), 0) FROM orders o
                 WHERE o.sale_id = s.id
                   AND o.status IN ('confirmed', 'awaiting_payment', 'paid', 'rejected'))::int8
                  AS taken
         FROM sales s WHERE s.id = $1 AND s.retired_at IS NOT NULL",
    )
    .bind(sale.as_str())
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(RetiredSale {
            definition: definition(sale, &row)?,
            taken: row.try_get("taken")?,
        })
    })
    .transpose()
}

/// The buyer's order taken under the attempt's idempotency key, if any.
pub async fn keyed_order(db: &PgPool, attempt: &OrderAttempt) -> Result<Option<EarlierOrder>> {
    let Some(key) = &attempt.idempotency_key else {
        return Ok(None);
    };
    let row = sqlx::query(
        "SELECT order_id, quantity, created_at FROM orders
         WHERE sale_id = $1 AND user_id = $2 AND idempotency_key = $3",
    )
    .bind(attempt.sale.as_str())
    .bind(attempt.user.as_str())
    .bind(key.as_str())
    .fetch_optional(db)
    .await?;
    row.map(|row| {
        Ok(EarlierOrder {
            order_id: OrderId::from_uuid(row.try_get("order_id")?),
            quantity: i64::from(row.try_get::<i32, _>("quantity")?),
            created_at: row.try_get("created_at")?,
        })
    })
    .transpose()
}
