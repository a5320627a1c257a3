//! `GET /admin/sales/{id}`: a sale with its reserved, confirmed, pending and rejected quantities.
use super::{AdminSale, find_sale};
use crate::engine::Engine;
use crate::error::Result;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

#[tracing::instrument(name = "admin get sale", skip_all, fields(sale_id = %path))]
pub async fn get_sale(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale = find_sale(&state, &path).await?;
    Ok(HttpResponse::Ok().json(AdminSale::load(&state, &engine, sale).await?))
}
