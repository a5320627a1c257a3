//! `POST /admin/sales/{id}/preload`: puts a sale back into Redis from Postgres.
//!
//! Safe at any time: a sale Redis still holds keeps its live counters (only its definition is
//! refreshed); a sale Redis lost gets back its buyers' quantities first, then stock equal to
//! `stock_total` minus everything Postgres has recorded.
use super::AdminSale;
use crate::db;
use crate::domain::SaleId;
use crate::error::{ApiError, Result};
use crate::startup::AppState;
use crate::store::LoadMode;
use actix_web::{HttpResponse, web};
use serde::Serialize;

#[derive(Serialize)]
struct Preloaded {
    /// `loaded` when stock was written, `kept` when Redis already held the sale.
    preload: &'static str,
    #[serde(flatten)]
    sale: AdminSale,
}

#[tracing::instrument(name = "preload sale", skip_all, fields(sale_id = %path))]
pub async fn preload(path: web::Path<String>, state: web::Data<AppState>) -> Result<HttpResponse> {
    let sale_id = SaleId::parse(&path)?;
    let sale = db::sales::find(&state.db, &sale_id)
        .await?
        .ok_or(ApiError::SaleNotFound)?;
    let settled = db::orders::settled(&state.db, &sale_id).await?;
    if !state.redis.is_loaded(&sale_id).await? {
        // Before the stock: nothing sells until the sale hash exists, so limits hold from the
        // first order on.
        let buyers = db::orders::confirmed_by_buyer(&state.db, &sale_id).await?;
        state.redis.restore_buyers(&sale_id, &buyers).await?;
    }
    let reserved = settled.confirmed + settled.rejected;
    let stock_left = (sale.stock_total.get() - reserved).max(0);
    let loaded = state
        .redis
        .load_sale(&sale, LoadMode::Restore, stock_left, reserved)
        .await?;
    state.sold_out.forget(&sale_id);
    tracing::info!(sale_id = %sale_id, loaded, "sale preloaded");
    Ok(HttpResponse::Ok().json(Preloaded {
        preload: if loaded { "loaded" } else { "kept" },
        sale: AdminSale::load(&state, sale).await?,
    }))
}
