//! `GET /admin/sales?limit=&cursor=`: every sale, newest first, a page at a time.
use crate::domain::{PageLimit, SaleCursor, SaleSummary};
use crate::error::{Problem, Result};
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize, ToSchema)]
struct SalePage {
    sales: Vec<SaleSummary>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    next_cursor: Option<String>,
}

#[utoipa::path(
    get,
    path = "/admin/sales",
    tag = "admin",
    summary = "Every sale, newest first, a page at a time",
    params(
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size (20)"),
        ("cursor" = Option<String>, Query, description = "The previous page's `next_cursor`"),
    ),
    responses(
        (status = 200, description = "A page of sales", body = SalePage),
        (status = 400, description = "`invalid_request`: a bad limit or cursor", body = Problem,
            content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "list sales", skip_all)]
pub async fn list_sales(
    query: web::Query<ListQuery>,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let limit = match &query.limit {
        Some(raw) => PageLimit::parse(raw)?,
        None => PageLimit::DEFAULT,
    };
    let after = query.cursor.as_deref().map(SaleCursor::parse).transpose()?;
    let mut sales =
        postgres::sale_list::page(&state.db, limit, after.as_ref(), chrono::Utc::now()).await?;
    let more = sales.len() as i64 > limit.get();
    sales.truncate(limit.get() as usize);
    let next_cursor = more
        .then(|| sales.last().map(|last| last.cursor().encode()))
        .flatten();
    Ok(HttpResponse::Ok().json(SalePage { sales, next_cursor }))
}
