//! `POST /admin/sales/{id}/reconcile`: checks the sale's invariants and repairs its live
//! counters if they broke; answers what it found, what it did, and the state after.
use super::find_sale;
use crate::domain::{Refusal, SaleId};
use crate::engine::Engine;
use crate::error::{ApiError, Problem, Result};
use crate::reconcile::{self, Action, Audit};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
struct Reconciled {
    found: Audit,
    #[serde(flatten)]
    action: Action,
    after: Audit,
}

#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/reconcile",
    tag = "admin",
    summary = "Check a sale's invariants and repair its live counters",
    params(("sale_id" = String, Path, description = "The sale's id")),
    responses(
        (status = 200, description = "What was found, what was done, and the audit after", body = Reconciled),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "reconcile sale", skip_all, fields(sale_id = %path))]
pub async fn reconcile(
    path: web::Path<String>,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let sale = find_sale(&state, &path).await?;
    let found = audit(&state, &sale.id).await?;
    let action = reconcile::repair(&state.redis, &state.db, &sale, &found).await?;
    engine.sale_changed(&sale.id);
    if action != Action::None {
        tracing::warn!(sale_id = %sale.id, ?action, problems = ?found.problems, "sale reconciled");
    }
    let after = audit(&state, &sale.id).await?;
    Ok(HttpResponse::Ok().json(Reconciled {
        found,
        action,
        after,
    }))
}

async fn audit(state: &AppState, sale: &SaleId) -> Result<Audit> {
    reconcile::audit(&state.redis, &state.db, sale)
        .await?
        .ok_or(ApiError::Refused(Refusal::SaleNotFound))
}
