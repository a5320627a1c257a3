//! Every statement of a hold's end: paid, cancelled, expired, and the record that its units went
//! back to Redis. Each transition is conditional on the hold still awaiting payment, and on the
//! deadline by Postgres's clock, so at the deadline exactly one of pay and expire wins, and an
//! order ends once. Cancel and expire lock the sale's row first, as the persister does, and take
//! the units out of `sold` in the same transaction.
use crate::domain::{OrderId, PaymentRef, Quantity, SaleId, UserId};
use crate::error::Result;
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

/// A hold that ended without payment, whose units go back to the sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndedHold {
    pub order_id: OrderId,
    pub sale_id: SaleId,
    pub user_id: UserId,
    pub quantity: Quantity,
}

/// Pays the hold if it awaits payment and its deadline has not passed; whether it did.
pub async fn pay(db: &PgPool, sale: &SaleId, order: OrderId, payment: &PaymentRef) -> Result<bool> {
    let paid = sqlx::query(
        "UPDATE orders SET status = 'paid', payment_ref = $3
         WHERE order_id = $2 AND sale_id = $1 AND status = 'awaiting_payment'
           AND expires_at > now()",
    )
    .bind(sale.as_str())
    .bind(order.as_uuid())
    .bind(payment.as_str())
    .execute(db)
    .await?;
    Ok(paid.rows_affected() == 1)
}

/// Cancels the buyer's hold if it awaits payment and its deadline has not passed.
pub async fn cancel(
    db: &PgPool,
    sale: &SaleId,
    order: OrderId,
    user: &UserId,
) -> Result<Option<EndedHold>> {
    let mut tx = db.begin().await?;
    lock_sale(&mut tx, sale).await?;
    let row = sqlx::query(
        "UPDATE orders SET status = 'cancelled'
         WHERE order_id = $2 AND sale_id = $1 AND user_id = $3 AND status = 'awaiting_payment'
           AND expires_at > now()
         RETURNING order_id, sale_id, user_id, quantity",
    )
    .bind(sale.as_str())
    .bind(order.as_uuid())
    .bind(user.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let cancelled = ended_hold(&row)?;
    release(&mut tx, sale, i64::from(cancelled.quantity.get())).await?;
    tx.commit().await?;
    Ok(Some(cancelled))
}

/// Sales with holds past their deadline, at most `limit`.
pub async fn sales_with_due_holds(db: &PgPool, limit: i64) -> Result<Vec<SaleId>> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT sale_id FROM orders
         WHERE status = 'awaiting_payment' AND expires_at <= now() LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    super::sales::stored_ids(ids)
}

/// Expires up to `limit` of the sale's holds past their deadline, in one transaction.
pub async fn expire_due(db: &PgPool, sale: &SaleId, limit: i64) -> Result<Vec<EndedHold>> {
    let mut tx = db.begin().await?;
    lock_sale(&mut tx, sale).await?;
    let rows = sqlx::query(
        "UPDATE orders SET status = 'expired'
         WHERE order_id IN (SELECT order_id FROM orders
                            WHERE sale_id = $1 AND status = 'awaiting_payment'
                              AND expires_at <= now()
                            ORDER BY expires_at LIMIT $2)
           -- Checked again on the row as it is when locked: a payment committed meanwhile wins.
           AND status = 'awaiting_payment' AND expires_at <= now()
         RETURNING order_id, sale_id, user_id, quantity",
    )
    .bind(sale.as_str())
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    let expired: Vec<EndedHold> = rows.iter().map(ended_hold).collect::<Result<_>>()?;
    let quantity = expired
        .iter()
        .map(|hold| i64::from(hold.quantity.get()))
        .sum();
    release(&mut tx, sale, quantity).await?;
    tx.commit().await?;
    Ok(expired)
}

/// Ended holds whose units Redis has not been given back yet, at most `limit`: a return cut
/// short (a crash, Redis away) is finished from these.
pub async fn not_returned(db: &PgPool, limit: i64) -> Result<Vec<EndedHold>> {
    let rows = sqlx::query(
        "SELECT order_id, sale_id, user_id, quantity FROM orders
         WHERE status IN ('expired', 'cancelled') AND returned_at IS NULL LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    rows.iter().map(ended_hold).collect()
}

/// Seconds since the deadline of the oldest hold still awaiting payment past it (0 if none):
/// how far behind the sweepers are.
pub async fn sweep_lag(db: &PgPool) -> Result<f64> {
    let lag: Option<f64> = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM now() - MIN(expires_at))::float8 FROM orders
         WHERE status = 'awaiting_payment' AND expires_at <= now()",
    )
    .fetch_one(db)
    .await?;
    Ok(lag.unwrap_or(0.0))
}

pub async fn mark_returned(db: &PgPool, orders: &[OrderId]) -> Result<()> {
    let ids: Vec<uuid::Uuid> = orders.iter().map(OrderId::as_uuid).collect();
    sqlx::query("UPDATE orders SET returned_at = now() WHERE order_id = ANY($1)")
        .bind(&ids)
        .execute(db)
        .await?;
    Ok(())
}

async fn lock_sale(tx: &mut PgConnection, sale: &SaleId) -> Result<()> {
    sqlx::query("SELECT 1 FROM sales WHERE id = $1 FOR UPDATE")
        .bind(sale.as_str())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Ended holds no longer count as sold: their units go back on sale.
async fn release(tx: &mut PgConnection, sale: &SaleId, quantity: i64) -> Result<()> {
    if quantity > 0 {
        sqlx::query("UPDATE sales SET sold = sold - $2 WHERE id = $1")
            .bind(sale.as_str())
            .bind(quantity)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

fn ended_hold(row: &PgRow) -> Result<EndedHold> {
    let sale: String = row.try_get("sale_id")?;
    let user: String = row.try_get("user_id")?;
    let quantity: i32 = row.try_get("quantity")?;
    Ok(EndedHold {
        order_id: OrderId::from_uuid(row.try_get("order_id")?),
        sale_id: SaleId::parse(&sale).map_err(|e| anyhow::anyhow!("stored sale_id: {e}"))?,
        user_id: UserId::parse(user).map_err(|e| anyhow::anyhow!("stored user_id: {e}"))?,
        quantity: Quantity::parse(quantity.into())
            .map_err(|e| anyhow::anyhow!("stored quantity {quantity}: {e}"))?,
    })
}
