//! The persister's write: one batch of orders into Postgres, idempotently, behind the stock
//! guard.
use super::orders::existing;
use crate::domain::{OrderId, SaleBatch, StreamOrder};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// What a batch did to Postgres.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub confirmed: usize,
    pub rejected: usize,
    /// Orders already in Postgres: a batch delivered again after its commit.
    pub duplicates: usize,
}

/// Writes every order of the batch in one transaction. Orders already present are skipped, so
/// writing the same batch twice changes nothing. An order that would take a sale's `sold` past
/// its `stock_total` is stored as `rejected`: Postgres never holds more than the stock, and no
/// accepted order disappears.
pub async fn persist_batch(db: &PgPool, batch: &mut [SaleBatch]) -> sqlx::Result<Tally> {
    // Sales are locked in id order so that two persisters can never deadlock on them.
    batch.sort_by(|a, b| a.sale.as_str().cmp(b.sale.as_str()));
    let mut tx = db.begin().await?;
    let mut tally = Tally::default();
    for sale in batch.iter().filter(|sale| !sale.orders.is_empty()) {
        let sale_tally = persist_sale(&mut tx, sale).await?;
        tally.confirmed += sale_tally.confirmed;
        tally.rejected += sale_tally.rejected;
        tally.duplicates += sale_tally.duplicates;
    }
    tx.commit().await?;
    Ok(tally)
}

async fn persist_sale(tx: &mut PgConnection, batch: &SaleBatch) -> sqlx::Result<Tally> {
    let (stock_total, sold): (i64, i64) =
        sqlx::query_as("SELECT stock_total, sold FROM sales WHERE id = $1 FOR UPDATE")
            .bind(batch.sale.as_str())
            .fetch_one(&mut *tx)
            .await?;
    let ids: Vec<OrderId> = batch.orders.iter().map(|o| o.order.order_id).collect();
    let mut seen = existing(&mut *tx, &ids).await?;

    let mut room = stock_total - sold;
    let mut tally = Tally::default();
    let mut rows = Rows::default();
    for StreamOrder { order, .. } in &batch.orders {
        if !seen.insert(order.order_id) {
            tally.duplicates += 1;
            continue;
        }
        let quantity = i64::from(order.quantity.get());
        let status = if quantity <= room {
            room -= quantity;
            tally.confirmed += 1;
            "confirmed"
        } else {
            tally.rejected += 1;
            "rejected"
        };
        rows.order_id.push(order.order_id.as_uuid());
        rows.user_id.push(order.user_id.as_str());
        rows.quantity.push(order.quantity.get() as i32);
        rows.created_at.push(order.created_at);
        rows.status.push(status);
    }
    if rows.order_id.is_empty() {
        return Ok(tally);
    }

    sqlx::query(
        "INSERT INTO orders (order_id, sale_id, user_id, quantity, created_at, status)
         SELECT o.order_id, $1, o.user_id, o.quantity, o.created_at, o.status::order_status
         FROM UNNEST($2::uuid[], $3::text[], $4::int4[], $5::timestamptz[], $6::text[])
              AS o (order_id, user_id, quantity, created_at, status)
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(batch.sale.as_str())
    .bind(&rows.order_id)
    .bind(&rows.user_id)
    .bind(&rows.quantity)
    .bind(&rows.created_at)
    .bind(&rows.status)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sales SET sold = $2 WHERE id = $1")
        .bind(batch.sale.as_str())
        .bind(stock_total - room)
        .execute(&mut *tx)
        .await?;
    Ok(tally)
}

/// The batch as columns, the shape `UNNEST` takes.
#[derive(Default)]
struct Rows<'a> {
    order_id: Vec<Uuid>,
    user_id: Vec<&'a str>,
    quantity: Vec<i32>,
    created_at: Vec<chrono::DateTime<chrono::Utc>>,
    status: Vec<&'static str>,
}
