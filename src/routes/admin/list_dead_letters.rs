//! `GET /admin/sales/{id}/dead-letters?limit=N`: the orders the persister gave up on, oldest
//! first, each with its dead-letter id (for a replay), its fields and the reason.
use super::find_sale;
use crate::domain::{DeadLetter, DeadLetterLimit, SaleId};
use crate::error::{Problem, Result};
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct DeadLetters {
    sale_id: SaleId,
    /// How many the sale has in all; `dead_letters` holds at most `limit` of them.
    total: i64,
    dead_letters: Vec<DeadLetter>,
}

#[utoipa::path(
    get,
    path = "/admin/sales/{sale_id}/dead-letters",
    tag = "admin",
    summary = "The orders the persister gave up on, oldest first",
    params(
        ("sale_id" = String, Path, description = "The sale's id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100,
            description = "At most this many (100)"),
    ),
    responses(
        (status = 200, description = "The dead letters", body = DeadLetters),
        (status = 400, description = "`invalid_request`: a malformed id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "list dead letters", skip_all, fields(sale_id = %path))]
pub async fn list_dead_letters(
    path: web::Path<String>,
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let limit = DeadLetterLimit::parse(query.limit.as_deref())?;
    let sale = find_sale(&state, &path).await?;
    let dead_letters = state
        .redis
        .list_dead_letters(&sale.id, sale.buckets, limit.get())
        .await?;
    let total = state.redis.dead_letters(&sale.id, sale.buckets).await?;
    Ok(HttpResponse::Ok().json(DeadLetters {
        sale_id: sale.id,
        total,
        dead_letters,
    }))
}
