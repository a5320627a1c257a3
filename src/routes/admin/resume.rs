//! `POST /admin/sales/{id}/resume`: a paused sale sells again.
use super::AdminSale;
use super::pause::change_pause;
use crate::engine::Engine;
use crate::error::{Problem, Result};
use crate::state::AppState;
use actix_web::{HttpResponse, web};

#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/resume",
    tag = "admin",
    summary = "Resume a paused sale",
    params(("sale_id" = String, Path, description = "The sale's id")),
    responses(
        (status = 200, description = "The admin view", body = AdminSale),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "resume sale", skip_all, fields(sale_id = %path))]
pub async fn resume(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    change_pause(&path, &state, &engine, false).await
}
