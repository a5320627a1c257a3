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
    // A split sale's buckets come as batches of their own, under the buckets' names; Postgres
    // knows the sale (`SaleId::sale`), so that is the order, or "a" < "a-b" < "a/1" would lock
    // sale "a" after "a-b" in one transaction and before it in another.
    batch.sort_by_cached_key(|sale| sale.sale.sale_and_bucket());
    if let Some(tally) = write(db, batch, Duplicates::AmongBuyersOrders).await? {
        return Ok(tally);
    }
    tracing::warn!("an order id Postgres holds under another sale or buyer: batch written again");
    write(db, batch, Duplicates::ById).await?.ok_or_else(|| {
        sqlx::Error::Protocol("orders were inserted concurrently under another sale".into())
    })
}

/// Where the batch's orders already in Postgres are looked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Duplicates {
    /// Among the orders of the batch's buyers in the sale, which the per-user guard reads
    /// anyway: a redelivered order is there. Checked by the insert's row count.
    AmongBuyersOrders,
    /// By order id too: after an order id turned up elsewhere, which never happens with ids
    /// generated as UUIDv7.
    ById,
}

/// One transaction for the batch; `None` (and nothing committed) when the insert met an order
/// that `duplicates` did not find, so the statuses may have been decided on a wrong count.
async fn write(
    db: &PgPool,
    batch: &[SaleBatch],
    duplicates: Duplicates,
) -> sqlx::Result<Option<Tally>> {
    let mut tx = db.begin().await?;
    let mut tally = Tally::default();
    for sale in batch.iter().filter(|sale| !sale.orders.is_empty()) {
        let Some(sale_tally) = persist_sale(&mut tx, sale, duplicates).await? else {
            return Ok(None);
        };
        tally.confirmed += sale_tally.confirmed;
        tally.rejected += sale_tally.rejected;
        tally.duplicates += sale_tally.duplicates;
    }
    tx.commit().await?;
    Ok(Some(tally))
}

async fn persist_sale(
    tx: &mut PgConnection,
    batch: &SaleBatch,
    duplicates: Duplicates,
) -> sqlx::Result<Option<Tally>> {
    let (stock_total, sold, per_user_limit, window): (i64, i64, i32, Option<i32>) = sqlx::query_as(
        "SELECT stock_total, sold, per_user_limit, payment_window_s FROM sales
         WHERE id = $1 FOR UPDATE",
    )
    .bind(batch.sale.sale().as_str())
    .fetch_one(&mut *tx)
    .await?;
    // Read under the sale row's lock, so no other batch of this sale commits in between.
    let held = buyers_orders(&mut *tx, batch).await?;
    let mut buyers: HashMap<&str, Buyer> = HashMap::new();
    let mut seen: HashSet<Uuid> = HashSet::with_capacity(batch.orders.len() + held.len());
    for order in &held {
        let buyer = buyers.entry(order.user_id.as_str()).or_default();
        if order.confirmed {
            buyer.confirmed += i64::from(order.quantity);
        }
        buyer.keys.extend(order.idempotency_key.as_deref());
        seen.insert(order.order_id);
    }
    if duplicates == Duplicates::ById {
        let ids: Vec<OrderId> = batch.orders.iter().map(|o| o.order.order_id).collect();
        seen.extend(existing(&mut *tx, &ids).await?.iter().map(OrderId::as_uuid));
    }

    let mut room = stock_total - sold;
    let mut tally = Tally::default();
    let mut rows = Rows::default();
    for StreamOrder { order, .. } in &batch.orders {
        if !seen.insert(order.order_id.as_uuid()) {
            tally.duplicates += 1;
            continue;
        }
        let quantity = i64::from(order.quantity.get());
        let buyer = buyers.entry(order.user_id.as_str()).or_default();
        // A retry Redis did not recognise (it lost the key): the buyer's first order stands.
        let repeated_key = order
            .idempotency_key
            .as_ref()
            .is_some_and(|key| !buyer.keys.insert(key.as_str()));
        let within_limit = buyer.confirmed + quantity <= i64::from(per_user_limit);
        let confirmed = !repeated_key && within_limit && quantity <= room;
        if confirmed {
            room -= quantity;
            buyer.confirmed += quantity;
            tally.confirmed += 1;
        } else {
            tally.rejected += 1;
        }
        rows.order_id.push(order.order_id.as_uuid());
        rows.user_id.push(order.user_id.as_str());
        rows.quantity.push(order.quantity.get() as i32);
        rows.created_at.push(order.created_at);
        rows.confirmed.push(confirmed);
        // The key stays with the buyer's first order: the unique index allows one per buyer.
        let key = order.idempotency_key.as_ref().filter(|_| !repeated_key);
        rows.idempotency_key.push(key.map(IdempotencyKey::as_str));
    }
    if rows.order_id.is_empty() {
        return Ok(Some(tally));
    }

    // The insert and the new `sold` in one statement: one round trip less while the sale's
    // row is locked, which is what every other batch of the sale waits for. With a payment
    // window an order is a hold, ending a window after its acceptance.
    let inserted: i64 = sqlx::query_scalar(
        "WITH inserted AS (
             INSERT INTO orders
                 (order_id, sale_id, user_id, quantity, created_at, status, idempotency_key,
                  expires_at)
             SELECT o.order_id, $1, o.user_id, o.quantity, o.created_at,
                    CASE WHEN NOT o.confirmed THEN 'rejected'::order_status
                         WHEN $9::int4 IS NULL THEN 'confirmed'::order_status
                         ELSE 'awaiting_payment'::order_status END,
                    o.key,
                    CASE WHEN o.confirmed THEN o.created_at + make_interval(secs => $9) END
             FROM UNNEST($2::uuid[], $3::text[], $4::int4[], $5::timestamptz[], $6::bool[],
                         $7::text[])
                  AS o (order_id, user_id, quantity, created_at, confirmed, key)
             ON CONFLICT (order_id) DO NOTHING
             RETURNING 1)
         UPDATE sales SET sold = $8 WHERE id = $1
         RETURNING (SELECT COUNT(*) FROM inserted)",
    )
    .bind(batch.sale.sale().as_str())
    .bind(&rows.order_id)
    .bind(&rows.user_id)
    .bind(&rows.quantity)
    .bind(&rows.created_at)
    .bind(&rows.confirmed)
    .bind(&rows.idempotency_key)
    .bind(stock_total - room)
    .bind(window)
    .fetch_one(&mut *tx)
    .await?;
    Ok((inserted as usize == rows.order_id.len()).then_some(tally))
}

/// What Postgres already holds of one buyer in the sale.
#[derive(Default)]
struct Buyer<'a> {
    confirmed: i64,
    keys: HashSet<&'a str>,
}

/// One order Postgres holds for a buyer of the batch.
#[derive(sqlx::FromRow)]
struct HeldOrder {
    user_id: String,
    order_id: Uuid,
    quantity: i32,
    confirmed: bool,
    idempotency_key: Option<String>,
}

/// Every order of the sale's buyers in the batch (a flash sale allows each a few).
async fn buyers_orders(tx: &mut PgConnection, batch: &SaleBatch) -> sqlx::Result<Vec<HeldOrder>> {
    let users: HashSet<&str> = batch
        .orders
        .iter()
        .map(|o| o.order.user_id.as_str())
        .collect();
    let users: Vec<&str> = users.into_iter().collect();
    // One index probe per buyer, whatever the statistics say: with `user_id = ANY($2)` the
    // planner may scan every order of a sale it believes small (a new one), a cost that grows
    // with the sale. OFFSET 0 keeps the subquery from being flattened into a join it could
    // plan the same way.
    sqlx::query_as(
        "SELECT o.user_id, o.order_id, o.quantity,
                o.status IN ('confirmed', 'awaiting_payment', 'paid') AS confirmed,
                o.idempotency_key
         FROM UNNEST($2::text[]) AS u (user_id),
              LATERAL (SELECT * FROM orders
                       WHERE sale_id = $1 AND user_id = u.user_id OFFSET 0) AS o",
    )
    .bind(batch.sale.sale().as_str())
    .bind(&users)
    .fetch_all(&mut *tx)
    .await
}

/// The batch as columns, the shape `UNNEST` takes.
#[derive(Default)]
struct Rows<'a> {
    order_id: Vec<Uuid>,
    user_id: Vec<&'a str>,
    quantity: Vec<i32>,
    created_at: Vec<chrono::DateTime<chrono::Utc>>,
    confirmed: Vec<bool>,
    idempotency_key: Vec<Option<&'a str>>,
}
