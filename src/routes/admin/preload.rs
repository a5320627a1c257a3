//! `POST /admin/sales/{id}/preload`: puts a sale back into Redis from Postgres.
//!
//! Safe at any time: a sale Redis still holds keeps its live counters (only its definition is
//! refreshed); a sale Redis lost is restored (see `reconcile::restore`).
use super::{AdminSale, find_sale};
use crate::engine::Engine;
use crate::error::{Problem, Result};
use crate::reconcile;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
struct Preloaded {
    /// `loaded` when stock was written, `kept` when Redis already held the sale.
    #[schema(value_type = String, pattern = "^(loaded|kept)$")]
    preload: &'static str,
    #[serde(flatten)]
    sale: AdminSale,
}

#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/preload",
    tag = "admin",
    summary = "Put a sale back into Redis from Postgres (safe at any time)",
    params(("sale_id" = String, Path, description = "The sale's id")),
    responses(
        (status = 200, description = "`loaded` (Redis had lost it) or `kept`, with the admin view", body = Preloaded),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "preload sale", skip_all, fields(sale_id = %path))]
pub async fn preload(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale = find_sale(&state, &path).await?;
    let sale_id = sale.id.clone();
    let loaded = reconcile::restore(&state.redis, &state.db, &sale).await?;
    engine.sale_changed(&sale_id);
    tracing::info!(sale_id = %sale_id, loaded, "sale preloaded");
    Ok(HttpResponse::Ok().json(Preloaded {
        preload: if loaded { "loaded" } else { "kept" },
        sale: AdminSale::load(&state, &engine, sale).await?,
    }))
}
