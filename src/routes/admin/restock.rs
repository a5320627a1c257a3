//! `POST /admin/sales/{id}/restock`: adds stock to a sale.
use super::AdminSale;
use crate::domain::{IdempotencyKey, Refusal, SaleId, StockIncrease};
use crate::engine::Engine;
use crate::error::{ApiError, Result};
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct RestockRequest {
    quantity: i64,
}

/// Postgres first, then Redis, and nothing is ever undone: Redis only ever follows Postgres's
/// total (an absolute, raise-only write), so whatever fails or times out half-way, Redis never
/// sells stock Postgres does not know. A restock sent with an `Idempotency-Key` is applied once
/// however often it is retried; a retry after a failure brings Redis up to date.
#[tracing::instrument(name = "restock sale", skip_all, fields(sale_id = %path))]
pub async fn restock(
    path: web::Path<String>,
    body: web::Json<RestockRequest>,
    request: HttpRequest,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale_id = SaleId::parse(&path)?;
    let quantity = StockIncrease::parse(body.quantity)?;
    let operation = request
        .headers()
        .get("Idempotency-Key")
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()?;
    let sale = postgres::sales::add_stock(&state.db, &sale_id, quantity, operation.as_ref())
        .await?
        .ok_or(ApiError::Refused(Refusal::SaleNotFound))?;
    state.redis.raise_stock_total(&sale).await?;
    engine.sale_changed(&sale_id);
    tracing::info!(sale_id = %sale_id, quantity = quantity.get(), stock_total = sale.stock_total.get(), "sale restocked");
    Ok(HttpResponse::Ok().json(AdminSale::load(&state, &engine, sale).await?))
}
