//! `POST /admin/sales/{id}/dead-letters/replay`: moves the sale's dead letters (or the ones
//! named in `{"ids": [...]}`) back to its orders stream, for the persister to write once more.
//! Each is moved in one atomic step, and the write is idempotent on the order id, so a retried
//! replay, or the replay of an order Postgres already holds, adds nothing.
use super::find_sale;
use crate::domain::{DeadLetterId, Replayed};
use crate::error::{ApiError, Problem, Result};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct ReplayRequest {
    /// 1 to 100 dead-letter ids; all of the sale's when absent.
    ids: Option<Vec<String>>,
}

/// The body is optional: none (or `{}`) replays every dead letter of the sale. A body that is
/// present but malformed, or names a field other than `ids`, is refused rather than read as
/// "all".
#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/dead-letters/replay",
    tag = "admin",
    summary = "Move dead letters back to the orders stream (none or `{}`: all of them)",
    params(("sale_id" = String, Path, description = "The sale's id")),
    request_body(content = Option<ReplayRequest>, description = "Optional: none replays them all"),
    responses(
        (status = 200, description = "What the replay did", body = Replayed),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "replay dead letters", skip_all, fields(sale_id = %path))]
pub async fn replay_dead_letters(
    path: web::Path<String>,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let ids = if body.trim_ascii().is_empty() {
        None
    } else {
        let request: ReplayRequest = serde_json::from_slice(&body)
            .map_err(|e| ApiError::Validation(format!("the JSON body is invalid: {e}")))?;
        request
            .ids
            .map(|ids| DeadLetterId::parse_all(&ids))
            .transpose()?
    };
    let sale = find_sale(&state, &path).await?;
    let replayed = state
        .redis
        .replay_dead_letters(&sale.id, sale.buckets, ids.as_deref())
        .await?;
    tracing::info!(sale_id = %sale.id, replayed = replayed.replayed, not_replayable = replayed.not_replayable.len(), "dead letters replayed");
    Ok(HttpResponse::Ok().json(replayed))
}
