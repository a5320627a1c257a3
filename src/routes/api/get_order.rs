//! `GET /api/sales/{id}/orders/{order_id}`: where an order stands.
use crate::domain::{Order, OrderId, SaleId};
use crate::error::{ApiError, Problem, Result};
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpResponse, web};

#[utoipa::path(
    get,
    path = "/api/sales/{sale_id}/orders/{order_id}",
    tag = "public api",
    summary = "Where an order stands",
    params(
        ("sale_id" = String, Path, description = "The sale's id"),
        ("order_id" = String, Path, description = "The order's id (a UUID)"),
    ),
    responses(
        (status = 200, description = "The order", body = Order),
        (status = 400, description = "`invalid_request`: a malformed sale id", body = Problem,
            content_type = "application/problem+json"),
        (status = 404, description = "`order_not_found`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "get order", skip_all, fields(sale_id = %path.0, order_id = %path.1))]
pub async fn get_order(
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let (sale_id, order_id) = path.into_inner();
    let sale_id = SaleId::parse(&sale_id)?;
    let order_id = OrderId::parse(&order_id).map_err(|_| ApiError::OrderNotFound)?;
    let order = find_order(&state, &sale_id, order_id)
        .await?
        .ok_or(ApiError::OrderNotFound)?;
    Ok(HttpResponse::Ok().json(order))
}

/// Postgres, then Redis's pending orders, then Postgres again: the persister commits before it
/// forgets the pending record, so an order moving between the two during this lookup is
/// found by the second Postgres read instead of being reported missing.
/// A pending order of a sale with a payment window shows when its hold will end.
pub(crate) async fn find_order(
    state: &AppState,
    sale_id: &SaleId,
    order_id: OrderId,
) -> Result<Option<Order>> {
    if let Some(order) = postgres::orders::find(&state.db, sale_id, order_id).await? {
        return Ok(Some(order));
    }
    if let Some(pending) = state.redis.pending_order(sale_id, order_id).await? {
        let window = postgres::sales::find(&state.db, sale_id)
            .await?
            .and_then(|sale| sale.payment_window);
        return Ok(Some(Order::pending(sale_id.clone(), pending, window)));
    }
    postgres::orders::find(&state.db, sale_id, order_id).await
}
