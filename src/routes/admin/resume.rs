//! `POST /admin/sales/{id}/resume`: a paused sale sells again.
use super::pause::change_pause;
use crate::engine::Engine;
use crate::error::Result;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

#[tracing::instrument(name = "resume sale", skip_all, fields(sale_id = %path))]
pub async fn resume(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    change_pause(&path, &state, &engine, false).await
}
