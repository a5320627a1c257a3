//! `GET /admin/sales/{id}`: a sale with its reserved, confirmed, pending and rejected quantities.
use super::{AdminSale, find_sale};
use crate::engine::Engine;
use crate::error::{Problem, Result};
use crate::state::AppState;
use actix_web::{HttpResponse, web};

#[utoipa::path(
    get,
    path = "/admin/sales/{sale_id}",
    tag = "admin",
    operation_id = "admin_get_sale",
    summary = "A sale with where its accepted quantity stands",
    params(("sale_id" = String, Path, description = "The sale's id")),
    responses(
        (status = 200, description = "The admin view", body = AdminSale),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "admin get sale", skip_all, fields(sale_id = %path))]
pub async fn get_sale(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale = find_sale(&state, &path).await?;
    Ok(HttpResponse::Ok().json(AdminSale::load(&state, &engine, sale).await?))
}
