//! `POST /api/sales/{id}/orders`: the hot path. One Redis script call decides the order.
use crate::buyer_auth;
use crate::domain::{
    IdempotencyKey, OrderAttempt, OrderId, OrderStatus, Quantity, Refusal, Reservation, SaleId,
    UserId,
};
use crate::engine::Engine;
use crate::error::{ApiError, Result};
use crate::metrics::OrderClass;
use crate::routes::ReservationSent;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Instant;

#[derive(Debug, Deserialize)]
pub struct OrderRequest {
    /// Required unless buyers present tokens (then it must match the token's subject).
    user_id: Option<String>,
    quantity: Option<i64>,
}

#[derive(Serialize)]
struct Accepted<'a> {
    order_id: OrderId,
    sale_id: &'a SaleId,
    user_id: &'a UserId,
    quantity: Quantity,
    status: OrderStatus,
    created_at: DateTime<Utc>,
}

#[tracing::instrument(
    name = "place order",
    skip_all,
    fields(sale_id = %path, user_id = tracing::field::Empty, order_id = tracing::field::Empty)
)]
pub async fn place_order(
    path: web::Path<String>,
    body: web::Json<OrderRequest>,
    request: HttpRequest,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let started = Instant::now();
    let result = attempt(&path, body.into_inner(), &request, &engine, &state).await;
    let outcome = match &result {
        Ok((_, false)) => "accepted",
        Ok((_, true)) => "replayed",
        // Counted apart from the other 503s: the bound on in-flight attempts was reached.
        Err(ApiError::Overloaded) => "shed",
        Err(e) => e.code(),
    };
    let class = match &result {
        Ok(_) => OrderClass::Accepted,
        Err(ApiError::Refused(Refusal::SoldOut | Refusal::InsufficientStock)) => {
            OrderClass::SoldOut
        }
        Err(e) if e.status_code().is_server_error() => OrderClass::Error,
        Err(_) => OrderClass::Rejected,
    };
    state
        .metrics
        .order_attempt(outcome, class, started.elapsed());
    result.map(|(response, _)| response)
}

/// The response, and whether it replays an earlier order.
async fn attempt(
    sale_id: &str,
    body: OrderRequest,
    request: &HttpRequest,
    engine: &Engine,
    state: &AppState,
) -> Result<(HttpResponse, bool)> {
    let sale_id = SaleId::parse(sale_id)?;
    let user_id = buyer_auth::identify(state.buyer_tokens.as_ref(), request, body.user_id)?;
    tracing::Span::current().record("user_id", user_id.as_str());
    let quantity = body.quantity.map_or(Ok(Quantity::ONE), Quantity::parse)?;
    let idempotency_key = request
        .headers()
        .get("Idempotency-Key")
        .map(|value| IdempotencyKey::parse(value.as_bytes()))
        .transpose()?;

    let attempt = OrderAttempt {
        sale: sale_id,
        user: user_id,
        quantity,
        idempotency_key,
    };
    let reservation = match engine.answer_from_memory(&attempt) {
        Some(answer) => answer,
        None => {
            let client_ip = request.peer_addr().map(|address| address.ip());
            state
                .rate_limits
                .check(&attempt.user, client_ip)
                .map_err(ApiError::RateLimited)?;
            let _slot = state.order_slots.take().await?;
            ReservationSent::mark(request);
            engine.reserve(&attempt).await?
        }
    };
    let (order_id, created_at, replayed) = match reservation {
        Reservation::Accepted {
            order_id,
            created_at,
        } => (order_id, created_at, false),
        Reservation::Replayed {
            order_id,
            created_at,
        } => (order_id, created_at, true),
        Reservation::Refused(refusal) => return Err(refusal.into()),
    };
    tracing::Span::current().record("order_id", tracing::field::display(order_id));
    let location = format!("/api/sales/{}/orders/{order_id}", attempt.sale);
    let body = Accepted {
        order_id,
        sale_id: &attempt.sale,
        user_id: &attempt.user,
        quantity,
        status: OrderStatus::Pending,
        created_at,
    };
    let response = HttpResponse::Accepted()
        .insert_header((header::LOCATION, location))
        .json(body);
    Ok((response, replayed))
}
