//! `POST /admin/sales/{id}/restock`: adds stock to a sale.
use super::AdminSale;
use crate::domain::{IdempotencyKey, Refusal, SaleId, StockIncrease};
use crate::engine::Engine;
use crate::error::{ApiError, Problem, Result};
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RestockRequest {
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    quantity: i64,
}

/// Postgres first, then Redis, and nothing is ever undone: Redis only ever follows Postgres's
/// total (an absolute, raise-only write), so whatever fails or times out half-way, Redis never
/// sells stock Postgres does not know. A restock sent with an `Idempotency-Key` is applied once
/// however often it is retried; a retry after a failure brings Redis up to date.
#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/restock",
    tag = "admin",
    summary = "Add stock to a sale",
    params(
        ("sale_id" = String, Path, description = "The sale's id"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "Applies the restock once however often it is retried"),
    ),
    request_body = RestockRequest,
    responses(
        (status = 200, description = "The admin view", body = AdminSale),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`idempotency_key_reused` with another quantity",
            body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "`unavailable`: Postgres may have it and Redis not yet; \
            retry with the same `Idempotency-Key`", body = Problem, content_type = "application/problem+json"),
    ),
)]
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
