//! `POST /admin/sales/{id}/pause`: stops a sale selling until it is resumed; attempts get 503
//! `sale_paused` with `Retry-After`, on every instance (the reservation script reads the pause).
use super::{AdminSale, find_sale};
use crate::domain::Refusal;
use crate::engine::Engine;
use crate::error::{ApiError, Problem, Result};
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/pause",
    tag = "admin",
    summary = "Pause a sale on every instance (attempts get 503 `sale_paused`)",
    params(("sale_id" = String, Path, description = "The sale's id")),
    responses(
        (status = 200, description = "The admin view, `state: paused`", body = AdminSale),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "pause sale", skip_all, fields(sale_id = %path))]
pub async fn pause(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    change_pause(&path, &state, &engine, true).await
}

/// Records the pause (or resume) in Postgres and sets it in Redis while holding the sale row's
/// lock, so that concurrent pauses and resumes of a sale apply in the same order to both.
/// Postgres commits only after Redis answered: a failure leaves Postgres as it was and Redis
/// either unchanged or (a call that timed out after it ran) already changed; retrying the same
/// call converges, and until then a preload never resumes a sale Redis holds paused.
pub(super) async fn change_pause(
    path: &str,
    state: &AppState,
    engine: &Engine,
    paused: bool,
) -> Result<HttpResponse> {
    let sale = find_sale(state, path).await?;
    let mut tx = state.db.begin().await?;
    if !postgres::sales::set_paused(&mut tx, &sale.id, paused).await? {
        return Err(ApiError::Refused(Refusal::SaleNotFound));
    }
    let in_redis = state
        .redis
        .set_paused(&sale.id, sale.buckets, paused)
        .await?;
    tx.commit().await?;
    // This instance's sold-out memory must not answer `sold_out` for a paused sale; other
    // instances' memories expire within the sold-out recheck delay.
    engine.sale_changed(&sale.id);
    let action = if paused { "pause" } else { "resume" };
    tracing::warn!(sale_id = %sale.id, action, in_redis, "sale {action}d by an operator");
    Ok(HttpResponse::Ok().json(AdminSale::load(state, engine, sale).await?))
}
