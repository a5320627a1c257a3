//! `POST /admin/sales`: records a sale in Postgres and makes it sellable in Redis.
use crate::domain::{Buckets, NewSale, NewSaleRequest, Refusal, Sale};
use crate::engine::Engine;
use crate::error::{ApiError, Problem, Result};
use crate::postgres;
use crate::reconcile;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

/// The answer: the public view, plus the split an operator asked for.
#[derive(Serialize, ToSchema)]
#[schema(as = SaleCreated, example = json!({
    "id": "summer-drop", "name": "Summer drop", "stock_total": 500, "stock_left": 500,
    "per_user_limit": 2, "starts_at": "2026-06-01T09:00:00Z", "ends_at": null, "state": "active",
    "buckets": 1
}))]
struct Created {
    #[serde(flatten)]
    sale: Sale,
    /// As Postgres records it: the definition a restore loads into Redis.
    buckets: Buckets,
}

/// Postgres first, then Redis, and nothing is undone: if Redis fails or times out, the sale
/// exists in Postgres and is not sold until the request is retried (a sale with an `id` and the
/// same definition is recognised as the same create and completed) or preloaded. Loading never
/// wipes a live sale, so a retry can never erase orders a first try already accepted.
#[utoipa::path(
    post,
    path = "/admin/sales",
    tag = "admin",
    summary = "Create a sale and preload its stock into Redis",
    request_body = NewSaleRequest,
    responses(
        (status = 201, description = "Created (also a retry of the same definition)",
            body = Created,
            headers(("Location" = String, description = "The sale's public URL"))),
        (status = 400, description = "`invalid_request`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`sale_exists`: another definition under this id",
            body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "create sale", skip_all, fields(sale_id = tracing::field::Empty))]
pub async fn create_sale(
    body: web::Json<NewSaleRequest>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let new_sale = NewSale::parse(body.into_inner(), chrono::Utc::now())?;
    let sale = &new_sale.definition;
    tracing::Span::current().record("sale_id", tracing::field::display(&sale.id));
    match postgres::sales::insert(&state.db, sale).await {
        Ok(()) => {}
        Err(ApiError::SaleExists) => {
            let existing = postgres::sales::find(&state.db, &sale.id).await?;
            if !existing.is_some_and(|existing| new_sale.is_retry_of(&existing)) {
                return Err(ApiError::SaleExists);
            }
        }
        Err(error) => return Err(error),
    }
    reconcile::restore(&state.redis, &state.db, sale).await?;
    engine.sale_changed(&sale.id);
    let live = engine
        .live_sale(&sale.id)
        .await?
        .ok_or(ApiError::Refused(Refusal::SaleNotFound))?;
    tracing::info!(sale_id = %sale.id, stock = sale.stock_total.get(), "sale created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/sales/{}", sale.id)))
        .json(Created {
            buckets: sale.buckets,
            sale: Sale::new(live.definition, live.stock_left, chrono::Utc::now()),
        }))
}
