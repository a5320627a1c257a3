//! `POST /admin/sales/{id}/preload`: puts a sale back into Redis from Postgres.
//!
//! Safe at any time. A sale Redis still holds keeps its live counters; only its definition is
//! refreshed. A sale Redis lost gets its buyers' quantities back first, then stock equal to
//! `stock_total` minus everything already taken: orders in Postgres plus any accepted orders
//! still waiting in Redis.
use super::AdminSale;
use crate::db;
use crate::domain::{SaleDefinition, SaleId};
use crate::engine::Engine;
use crate::error::{ApiError, Result};
use crate::startup::AppState;
use crate::store::LoadMode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::collections::HashMap;

#[derive(Serialize)]
struct Preloaded {
    /// `loaded` when stock was written, `kept` when Redis already held the sale.
    preload: &'static str,
    #[serde(flatten)]
    sale: AdminSale,
}

#[tracing::instrument(name = "preload sale", skip_all, fields(sale_id = %path))]
pub async fn preload(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale_id = SaleId::parse(&path)?;
    let sale = db::sales::find(&state.db, &sale_id)
        .await?
        .ok_or(ApiError::SaleNotFound)?;
    let (stock_left, reserved) = if state.redis.is_loaded(&sale_id).await? {
        // Ignored by a `Restore` of a live sale.
        (0, 0)
    } else {
        restore_buyers_and_count(&state, &sale).await?
    };
    let loaded = state
        .redis
        .load_sale(&sale, LoadMode::Restore, stock_left, reserved)
        .await?;
    engine.sale_changed(&sale_id);
    tracing::info!(sale_id = %sale_id, loaded, "sale preloaded");
    Ok(HttpResponse::Ok().json(Preloaded {
        preload: if loaded { "loaded" } else { "kept" },
        sale: AdminSale::load(&state, &engine, sale).await?,
    }))
}

/// Writes each buyer's taken quantity back into Redis and returns `(stock_left, reserved)`.
///
/// Redis's pending orders are read before Postgres: an order the persister moves in between is
/// then counted twice (less stock sellable), never missed (more sellable than exists).
async fn restore_buyers_and_count(state: &AppState, sale: &SaleDefinition) -> Result<(i64, i64)> {
    let in_flight = state.redis.pending_orders(&sale.id).await?;
    let settled = db::orders::settled(&state.db, &sale.id).await?;
    let mut buyers: HashMap<String, i64> = db::orders::confirmed_by_buyer(&state.db, &sale.id)
        .await?
        .into_iter()
        .collect();
    let mut in_flight_quantity = 0;
    for order in in_flight {
        in_flight_quantity += i64::from(order.quantity);
        *buyers.entry(order.user_id).or_default() += i64::from(order.quantity);
    }
    // Before the stock: nothing sells until the sale hash exists, so the limits hold from the
    // first order on.
    let buyers: Vec<(String, i64)> = buyers.into_iter().collect();
    state.redis.restore_buyers(&sale.id, &buyers).await?;
    let reserved = settled.confirmed + settled.rejected + in_flight_quantity;
    Ok(((sale.stock_total.get() - reserved).max(0), reserved))
}
