//! What `GET /metrics` reads from Postgres: the confirmed quantity of the active sales, in one
//! statement however many there are (`metrics::live` caps them).
use crate::domain::SaleId;
use crate::error::Result;
use sqlx::PgPool;
use std::collections::HashMap;

/// Each sale's quantity persisted as confirmed, as the admin view counts it; a sale without a
/// confirmed order is absent.
pub async fn confirmed(db: &PgPool, sales: &[SaleId]) -> Result<HashMap<SaleId, i64>> {
    if sales.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = sales.iter().map(SaleId::as_str).collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT sale_id, SUM(quantity)::int8 FROM orders
         WHERE sale_id = ANY($1) AND status = 'confirmed' GROUP BY sale_id",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(sale, quantity)| Some((SaleId::parse(&sale).ok()?, quantity)))
        .collect())
}
