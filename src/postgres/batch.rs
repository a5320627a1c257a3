//! The persister's write: one batch of orders into Postgres, idempotently, behind the stock
//! and per-user guards.
use super::orders::existing;
use crate::domain::{IdempotencyKey, OrderId, SaleBatch, StreamOrder};
use sqlx::{PgConnection, PgPool};
use std::collections::{HashMap, HashSet};
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
/// its `stock_total`, or its buyer's confirmed quantity past the `per_user_limit`, or that
/// repeats an idempotency key its buyer already used for another order, is stored as
/// `rejected`: Postgres never holds more than the stock or the limit allow, and no accepted
/// order disappears.
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
    let (stock_total, sold, per_user_limit): (i64, i64, i32) = sqlx::query_as(
        "SELECT stock_total, sold, per_user_limit FROM sales WHERE id = $1 FOR UPDATE",
    )
    .bind(batch.sale.as_str())
    .fetch_one(&mut *tx)
    .await?;
    let ids: Vec<OrderId> = batch.orders.iter().map(|o| o.order.order_id).collect();
    let mut seen = existing(&mut *tx, &ids).await?;
    // Read under the sale row's lock, so no other batch of this sale commits in between.
    let mut buyers = buyers_so_far(&mut *tx, batch).await?;

    let mut room = stock_total - sold;
    let mut tally = Tally::default();
    let mut rows = Rows::default();
    for StreamOrder { order, .. } in &batch.orders {
        if !seen.insert(order.order_id) {
            tally.duplicates += 1;
            continue;
        }
        let quantity = i64::from(order.quantity.get());
        let buyer = buyers.entry(order.user_id.as_str().to_owned()).or_default();
        // A retry Redis did not recognise (it lost the key): the buyer's first order stands.
        let repeated_key = order
            .idempotency_key
            .as_ref()
            .is_some_and(|key| !buyer.keys.insert(key.as_str().to_owned()));
        let within_limit = buyer.confirmed + quantity <= i64::from(per_user_limit);
        let status = if !repeated_key && within_limit && quantity <= room {
            room -= quantity;
            buyer.confirmed += quantity;
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
        // The key stays with the buyer's first order: the unique index allows one per buyer.
        let key = order.idempotency_key.as_ref().filter(|_| !repeated_key);
        rows.idempotency_key.push(key.map(IdempotencyKey::as_str));
    }
    if rows.order_id.is_empty() {
        return Ok(tally);
    }

    sqlx::query(
        "INSERT INTO orders (order_id, sale_id, user_id, quantity, created_at, status, idempotency_key)
         SELECT o.order_id, $1, o.user_id, o.quantity, o.created_at, o.status::order_status, o.key
         FROM UNNEST($2::uuid[], $3::text[], $4::int4[], $5::timestamptz[], $6::text[], $7::text[])
              AS o (order_id, user_id, quantity, created_at, status, key)
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(batch.sale.as_str())
    .bind(&rows.order_id)
    .bind(&rows.user_id)
    .bind(&rows.quantity)
    .bind(&rows.created_at)
    .bind(&rows.status)
    .bind(&rows.idempotency_key)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE sales SET sold = $2 WHERE id = $1")
        .bind(batch.sale.as_str())
        .bind(stock_total - room)
        .execute(&mut *tx)
        .await?;
    Ok(tally)
}

/// What Postgres already holds of one buyer in the sale.
#[derive(Default)]
struct Buyer {
    confirmed: i64,
    keys: HashSet<String>,
}

/// The confirmed quantity and the idempotency keys of every buyer in the batch, by user id.
async fn buyers_so_far(
    tx: &mut PgConnection,
    batch: &SaleBatch,
) -> sqlx::Result<HashMap<String, Buyer>> {
    let users: Vec<&str> = batch
        .orders
        .iter()
        .map(|o| o.order.user_id.as_str())
        .collect();
    let rows: Vec<(String, i64, Vec<String>)> = sqlx::query_as(
        "SELECT user_id,
                COALESCE(SUM(quantity) FILTER (WHERE status = 'confirmed'), 0)::int8,
                COALESCE(array_agg(idempotency_key) FILTER (WHERE idempotency_key IS NOT NULL),
                         '{}')
         FROM orders WHERE sale_id = $1 AND user_id = ANY($2) GROUP BY user_id",
    )
    .bind(batch.sale.as_str())
    .bind(&users)
    .fetch_all(&mut *tx)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(user, confirmed, keys)| {
            let keys = keys.into_iter().collect();
            (user, Buyer { confirmed, keys })
        })
        .collect())
}

/// The batch as columns, the shape `UNNEST` takes.
#[derive(Default)]
struct Rows<'a> {
    order_id: Vec<Uuid>,
    user_id: Vec<&'a str>,
    quantity: Vec<i32>,
    created_at: Vec<chrono::DateTime<chrono::Utc>>,
    status: Vec<&'static str>,
    idempotency_key: Vec<Option<&'a str>>,
}
