//! `POST /admin/sales`: records a sale in Postgres and preloads its stock into Redis.
use crate::domain::{NewSale, NewSaleRequest, Sale};
use crate::engine::Engine;
use crate::error::Result;
use crate::postgres;
use crate::redis::LoadMode;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};

#[tracing::instrument(name = "create sale", skip_all, fields(sale_id = tracing::field::Empty))]
pub async fn create_sale(
    body: web::Json<NewSaleRequest>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let NewSale(sale) = NewSale::parse(body.into_inner(), chrono::Utc::now())?;
    tracing::Span::current().record("sale_id", tracing::field::display(&sale.id));
    postgres::sales::insert(&state.db, &sale).await?;
    let stock = sale.stock_total.get();
    if let Err(error) = state
        .redis
        .load_sale(&sale, LoadMode::Replace, stock, 0, false)
        .await
    {
        // Undo, so that retrying the same request can succeed instead of hitting sale_exists.
        if let Err(undo) = postgres::sales::delete_unsold(&state.db, &sale.id).await {
            tracing::error!(sale_id = %sale.id, error = ?undo, "could not undo a sale Redis refused");
        }
        return Err(error);
    }
    engine.sale_changed(&sale.id);
    tracing::info!(sale_id = %sale.id, stock, "sale created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/sales/{}", sale.id)))
        .json(Sale::new(sale, stock, chrono::Utc::now())))
}
