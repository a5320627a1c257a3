//! The `sales` table.
use crate::domain::{
    Buckets, IdempotencyKey, PaymentWindow, Quantity, Refusal, SaleDefinition, SaleId, StockAmount,
    StockIncrease,
};
use crate::error::{ApiError, Result};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, PgPool, Row};

/// Inserts a new sale; an existing id is `SaleExists`.
pub async fn insert(db: &PgPool, sale: &SaleDefinition) -> Result<()> {
    let result = sqlx::query(
        "INSERT INTO sales (id, name, stock_total, per_user_limit, starts_at, ends_at, buckets,
                            payment_window_s)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(sale.id.as_str())
    .bind(&sale.name)
    .bind(sale.stock_total.get())
    .bind(sale.per_user_limit.get() as i32)
    .bind(sale.starts_at)
    .bind(sale.ends_at)
    .bind(sale.buckets.get() as i16)
    .bind(sale.payment_window.map(|window| window.seconds() as i32))
    .execute(db)
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Err(ApiError::SaleExists),
        Err(e) => Err(e.into()),
    }
}

pub async fn find(db: &PgPool, id: &SaleId) -> Result<Option<SaleDefinition>> {
    let row = sqlx::query(
        "SELECT id, name, stock_total, per_user_limit, starts_at, ends_at, buckets,
                payment_window_s
         FROM sales WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(db)
    .await?;
    row.map(|row| definition(id, &row)).transpose()
}

/// Raises a sale's total. `Ok(None)`: no such sale.
pub async fn add_stock(
    db: &PgPool,
    id: &SaleId,
    quantity: StockIncrease,
    operation: Option<&IdempotencyKey>,
) -> Result<Option<SaleDefinition>> {
    let mut tx = db.begin().await?;
    let Some(sale) = shift_stock_total(&mut tx, id, quantity.get()).await? else {
        return Ok(None);
    };
    let Some(key) = operation else {
        tx.commit().await?;
        return Ok(Some(sale));
    };
    let recorded = sqlx::query(
        "INSERT INTO sale_operations (sale_id, operation_key, quantity) VALUES ($1, $2, $3)
         ON CONFLICT (sale_id, operation_key) DO NOTHING",
    )
    .bind(id.as_str())
    .bind(key.as_str())
    .bind(quantity.get())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if recorded == 1 {
        tx.commit().await?;
        return Ok(Some(sale));
    }
    // A retry of a restock already applied: drop this increment, answer the sale as it is.
    tx.rollback().await?;
    let applied: i64 = sqlx::query_scalar(
        "SELECT quantity FROM sale_operations WHERE sale_id = $1 AND operation_key = $2",
    )
    .bind(id.as_str())
    .bind(key.as_str())
    .fetch_one(db)
    .await?;
    if applied != quantity.get() {
        return Err(Refusal::IdempotencyKeyReused.into());
    }
    find(db, id).await
}

async fn shift_stock_total(
    tx: &mut PgConnection,
    id: &SaleId,
    delta: i64,
) -> Result<Option<SaleDefinition>> {
    let row = sqlx::query(
        "UPDATE sales SET stock_total = stock_total + $2 WHERE id = $1
         RETURNING id, name, stock_total, per_user_limit, starts_at, ends_at, buckets,
                   payment_window_s",
    )
    .bind(id.as_str())
    .bind(delta)
    .fetch_optional(tx)
    .await;
    match row {
        Ok(row) => row.map(|row| definition(id, &row)).transpose(),
        Err(sqlx::Error::Database(e)) if e.is_check_violation() => Err(ApiError::Validation(
            format!("stock_total may not exceed {}", StockAmount::MAX),
        )),
        Err(e) => Err(e.into()),
    }
}

/// Records a pause or a resume; `false`: no such sale. Takes the row's lock until the caller's
/// transaction ends, so concurrent pauses and resumes of one sale run one after the other.
pub async fn set_paused(conn: &mut PgConnection, id: &SaleId, paused: bool) -> Result<bool> {
    let updated = sqlx::query("UPDATE sales SET paused = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(paused)
        .execute(conn)
        .await?
        .rows_affected();
    Ok(updated == 1)
}

/// Whether the sale is recorded as paused (`false` for no such sale).
pub async fn paused(db: &PgPool, id: &SaleId) -> Result<bool> {
    paused_query(db, id, "SELECT paused FROM sales WHERE id = $1").await
}

/// `paused`, but first waits for a pause or resume being recorded right now (`FOR SHARE`
/// waits for the row lock `set_paused` holds), so a restore that checks again after loading
/// cannot miss a pause whose own Redis call found no sale to pause.
pub async fn paused_after_pending_changes(db: &PgPool, id: &SaleId) -> Result<bool> {
    paused_query(db, id, "SELECT paused FROM sales WHERE id = $1 FOR SHARE").await
}

async fn paused_query(db: &PgPool, id: &SaleId, sql: &'static str) -> Result<bool> {
    let paused: Option<bool> = sqlx::query_scalar(sql)
        .bind(id.as_str())
        .fetch_optional(db)
        .await?;
    Ok(paused.unwrap_or(false))
}

/// Closes the sale at `ends_at`, or keeps an earlier end; an upcoming sale's start moves to
/// just before its end (`ends_at > starts_at` holds). `Ok(None)`: no such sale.
pub async fn end(
    db: &PgPool,
    id: &SaleId,
    ends_at: DateTime<Utc>,
) -> Result<Option<SaleDefinition>> {
    let row = sqlx::query(
        "UPDATE sales SET ends_at = LEAST(ends_at, $2),
                          starts_at = LEAST(starts_at, LEAST(ends_at, $2) - interval '1 millisecond')
         WHERE id = $1
         RETURNING id, name, stock_total, per_user_limit, starts_at, ends_at, buckets,
                   payment_window_s",
    )
    .bind(id.as_str())
    .bind(ends_at)
    .fetch_optional(db)
    .await?;
    row.map(|row| definition(id, &row)).transpose()
}

pub(super) fn definition(id: &SaleId, row: &PgRow) -> Result<SaleDefinition> {
    let stock_total: i64 = row.try_get("stock_total")?;
    let per_user_limit: i32 = row.try_get("per_user_limit")?;
    Ok(SaleDefinition {
        id: id.clone(),
        name: row.try_get("name")?,
        stock_total: StockAmount::parse(stock_total)
            .map_err(|e| anyhow::anyhow!("stored stock_total {stock_total}: {e}"))?,
        per_user_limit: Quantity::parse(per_user_limit.into())
            .map_err(|e| anyhow::anyhow!("stored per_user_limit {per_user_limit}: {e}"))?,
        starts_at: row.try_get("starts_at")?,
        ends_at: row.try_get("ends_at")?,
        buckets: stored_buckets(row)?,
        payment_window: stored_window(row)?,
    })
}

/// The row's `buckets`, read by every statement that lists or returns a sale's definition.
pub(super) fn stored_buckets(row: &PgRow) -> Result<Buckets> {
    let buckets: i16 = row.try_get("buckets")?;
    Ok(Buckets::parse(buckets.into())
        .map_err(|e| anyhow::anyhow!("stored buckets {buckets}: {e}"))?)
}

fn stored_window(row: &PgRow) -> Result<Option<PaymentWindow>> {
    let seconds: Option<i32> = row.try_get("payment_window_s")?;
    seconds
        .map(|seconds| {
            PaymentWindow::parse(seconds.into())
                .map_err(|e| anyhow::anyhow!("stored payment_window_s {seconds}: {e}").into())
        })
        .transpose()
}

/// Ids of every sale, oldest first.
pub async fn ids(db: &PgPool) -> Result<Vec<SaleId>> {
    let ids = sqlx::query_scalar("SELECT id FROM sales ORDER BY created_at")
        .fetch_all(db)
        .await?;
    stored_ids(ids)
}

/// Ids of the sales that have not ended (by Postgres's clock), oldest first: those Redis must
/// hold.
pub async fn unended_ids(db: &PgPool) -> Result<Vec<SaleId>> {
    let ids = sqlx::query_scalar(
        "SELECT id FROM sales WHERE ends_at IS NULL OR ends_at > now() ORDER BY created_at",
    )
    .fetch_all(db)
    .await?;
    stored_ids(ids)
}

pub(super) fn stored_ids(ids: Vec<String>) -> Result<Vec<SaleId>> {
    ids.iter()
        .map(|id| {
            SaleId::parse(id).map_err(|e| anyhow::anyhow!("stored sale id {id:?}: {e}").into())
        })
        .collect()
}

/// The sale's `sold` counter: the quantity of its confirmed orders, as the persister counted.
pub async fn sold(db: &PgPool, id: &SaleId) -> Result<i64> {
    Ok(sqlx::query_scalar("SELECT sold FROM sales WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(db)
        .await?)
}
