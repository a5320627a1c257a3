//! `GET /api/sales/{id}`: a sale as buyers see it, served from Redis.
use crate::domain::{Refusal, Sale, SaleId};
use crate::engine::Engine;
use crate::error::{ApiError, Result};
use actix_web::http::header;
use actix_web::{HttpResponse, web};

#[tracing::instrument(name = "get sale", skip_all, fields(sale_id = %path))]
pub async fn get_sale(path: web::Path<String>, engine: web::Data<Engine>) -> Result<HttpResponse> {
    let sale_id = SaleId::parse(&path)?;
    let live = engine
        .live_sale(&sale_id)
        .await?
        .ok_or(ApiError::Refused(Refusal::SaleNotFound))?;
    let sale =
        Sale::new(live.definition, live.stock_left, chrono::Utc::now()).with_pause(live.paused);
    // A sale page's load traffic can be absorbed by a CDN or the browser for a second: stock
    // shown a second late is still shown, and buying always asks Redis.
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=1"))
        .json(sale))
}
