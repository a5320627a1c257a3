//! `POST /admin/sales/{id}/restock`: adds stock to a sale.
use super::AdminSale;
use crate::domain::{Refusal, SaleId, StockIncrease};
use crate::engine::Engine;
use crate::error::{ApiError, Result};
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct RestockRequest {
    quantity: i64,
}

/// Postgres first, then Redis: if Redis fails, the Postgres change is undone, so a failed
/// restock changes nothing and can simply be retried.
#[tracing::instrument(name = "restock sale", skip_all, fields(sale_id = %path))]
pub async fn restock(
    path: web::Path<String>,
    body: web::Json<RestockRequest>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale_id = SaleId::parse(&path)?;
    let quantity = StockIncrease::parse(body.quantity)?;
    let sale = postgres::sales::add_stock(&state.db, &sale_id, quantity)
        .await?
        .ok_or(ApiError::Refused(Refusal::SaleNotFound))?;
    if let Err(error) = state.redis.restock(&sale_id, quantity).await {
        if let Err(undo) = postgres::sales::remove_stock(&state.db, &sale_id, quantity).await {
            tracing::error!(sale_id = %sale_id, error = ?undo, "could not undo a restock Redis refused");
        }
        return Err(error);
    }
    engine.sale_changed(&sale_id);
    tracing::info!(sale_id = %sale_id, quantity = quantity.get(), "sale restocked");
    Ok(HttpResponse::Ok().json(AdminSale::load(&state, &engine, sale).await?))
}
