//! `POST /admin/sales/{id}/end`: closes a sale now, for good; attempts get 409 `sale_ended` on
//! every instance from the next one on. Ending an ended sale changes nothing and answers 200.
use super::{AdminSale, find_sale};
use crate::domain::Refusal;
use crate::engine::Engine;
use crate::error::{ApiError, Problem, Result};
use crate::postgres;
use crate::redis::Ending;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

/// Redis first, by its clock and atomically with every attempt, so no order is accepted after
/// the end instant; then Postgres records that instant. If Postgres fails, the sale is already
/// closed where it sells and the call answers an error: retrying finds the end already in Redis,
/// keeps it, and records the same instant. Meanwhile a preload keeps Redis's earlier end.
///
/// If Redis had lost the sale, the end is recorded in Postgres only, and a preload loads it
/// ended. A preload racing this call may have loaded it open in between: it checks Postgres
/// again after loading, and this call checks Redis again after recording, so one of the two
/// brings the end to Redis.
#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/end",
    tag = "admin",
    summary = "End a sale now, for good (ending again is a no-op)",
    params(("sale_id" = String, Path, description = "The sale's id")),
    responses(
        (status = 200, description = "The admin view, `state: ended`", body = AdminSale),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "end sale", skip_all, fields(sale_id = %path))]
pub async fn end_sale(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale = find_sale(&state, &path).await?;
    let ending = state.redis.end_sale(&sale.id, sale.buckets).await?;
    engine.sale_changed(&sale.id);
    let ends_at = match ending {
        Ending::Ended { ends_at, .. } => ends_at,
        Ending::NotLoaded { now } => now,
    };
    let sale = postgres::sales::end(&state.db, &sale.id, ends_at)
        .await?
        .ok_or(ApiError::Refused(Refusal::SaleNotFound))?;
    if matches!(ending, Ending::NotLoaded { .. }) && state.redis.is_loaded(&sale.id).await? {
        // Never resumes a paused sale; keeps the earlier of the two ends.
        let paused = false;
        state.redis.load_sale(&sale, 0, 0, &[], paused).await?;
        engine.sale_changed(&sale.id);
    }
    tracing::warn!(
        sale_id = %sale.id,
        action = "end",
        ends_at = %sale.ends_at.unwrap_or(ends_at),
        in_redis = matches!(ending, Ending::Ended { .. }),
        "sale ended by an operator"
    );
    Ok(HttpResponse::Ok().json(AdminSale::load(&state, &engine, sale).await?))
}
