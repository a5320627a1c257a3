//! `GET /api/sales/{id}`: a sale as buyers see it, served from Redis (from Postgres once it
//! retired from Redis).
use crate::domain::{Refusal, Sale, SaleId};
use crate::engine::Engine;
use crate::error::{ApiError, Problem, Result};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

#[utoipa::path(
    get,
    path = "/api/sales/{sale_id}",
    tag = "public api",
    summary = "A sale as buyers see it",
    params(("sale_id" = String, Path, description = "The sale's id")),
    responses(
        (status = 200, description = "The sale", body = Sale,
            headers(("Cache-Control" = String, description = "`public, max-age=1`"))),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "urn:flashsale:problem:sale_not_found", "title": "Not Found",
                "status": 404, "detail": "No sale has this id.", "code": "sale_not_found",
                "instance": "0192f3c4-8d1e-7b6a-a1f0-5c2e9d4b7a10"
            })),
    ),
)]
#[tracing::instrument(name = "get sale", skip_all, fields(sale_id = %path))]
pub async fn get_sale(
    path: web::Path<String>,
    engine: web::Data<Engine>,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let sale_id = SaleId::parse(&path)?;
    let now = chrono::Utc::now();
    let sale = match engine.live_sale(&sale_id).await? {
        Some(live) => Sale::new(live.definition, live.stock_left, now).with_pause(live.paused),
        None => {
            let retired = state
                .archive
                .find(&state.db, &sale_id)
                .await?
                .ok_or(ApiError::Refused(Refusal::SaleNotFound))?;
            Sale::new(retired.definition.clone(), retired.stock_left(), now)
        }
    };
    // A sale page's load traffic can be absorbed by a CDN or the browser for a second: stock
    // shown a second late is still shown, and buying always asks Redis.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=1"))
        .json(sale))
}
