//! `GET /api/sales/{id}`: a sale as buyers see it, served from Redis (from Postgres once it
//! retired from Redis).
use crate::domain::{Refusal, Sale, SaleId};
use crate::engine::Engine;
use crate::error::{ApiError, Result};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

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
