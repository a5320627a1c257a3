//! The sales listing: pages of the `sales` table, newest first.
use super::sales::stored_buckets;
use crate::domain::{PageLimit, SaleCursor, SaleId, SaleSummary, window_state};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sqlx::{PgPool, Row};

/// Up to `limit` sales created before `after` (all when `None`), newest first, ties broken by
/// id so that a page boundary never skips or repeats a sale. Returns one more than `limit` when
/// there are more, so the caller knows whether a next page exists.
pub async fn page(
    db: &PgPool,
    limit: PageLimit,
    after: Option<&SaleCursor>,
    now: DateTime<Utc>,
) -> Result<Vec<SaleSummary>> {
    let rows = sqlx::query(
        "SELECT id, name, stock_total, per_user_limit, starts_at, ends_at, buckets, paused, sold,
                created_at
         FROM sales
         WHERE $1::timestamptz IS NULL OR (created_at, id) < ($1, $2)
         ORDER BY created_at DESC, id DESC
         LIMIT $3",
    )
    .bind(after.map(|cursor| cursor.created_at))
    .bind(after.map(|cursor| cursor.id.as_str()))
    .bind(limit.get() + 1)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let id: String = row.try_get("id")?;
            let starts_at = row.try_get("starts_at")?;
            let ends_at = row.try_get("ends_at")?;
            let per_user_limit: i32 = row.try_get("per_user_limit")?;
            Ok(SaleSummary {
                id: SaleId::parse(&id)
                    .map_err(|e| anyhow::anyhow!("stored sale id {id:?}: {e}"))?,
                name: row.try_get("name")?,
                stock_total: row.try_get("stock_total")?,
                per_user_limit: i64::from(per_user_limit),
                starts_at,
                ends_at,
                buckets: stored_buckets(row)?,
                state: window_state(starts_at, ends_at, row.try_get("paused")?, now),
                confirmed: row.try_get("sold")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}
