//! `POST /api/sales/{id}/orders`: the hot path. One Redis script call decides the order.
use crate::buyer_auth;
use crate::domain::{
    IdempotencyKey, OrderAttempt, OrderId, OrderStatus, Quantity, Refusal, Reservation, SaleId,
    UserId,
};
use crate::engine::Engine;
use crate::error::{ApiError, Problem, Result};
use crate::metrics::OrderClass;
use crate::routes::ReservationSent;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Instant;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"user_id": "buyer-42", "quantity": 2}))]
pub struct OrderRequest {
    /// Required unless buyers present tokens (then it must match the token's subject).
    #[schema(min_length = 1, max_length = 64)]
    user_id: Option<String>,
    /// 1 when absent.
    #[schema(minimum = 1, maximum = 1000)]
    quantity: Option<i64>,
}

/// The order Redis accepted; the persister writes it to Postgres within milliseconds.
#[derive(Serialize, ToSchema)]
#[schema(as = OrderAccepted, example = json!({
    "order_id": "019a7f3e-4c1b-7d2a-9e55-3b8f0c6d2a11", "sale_id": "summer-drop",
    "user_id": "buyer-42", "quantity": 2, "status": "pending",
    "created_at": "2026-06-01T09:00:00.123Z"
}))]
struct Accepted<'a> {
    order_id: OrderId,
    sale_id: &'a SaleId,
    user_id: &'a UserId,
    quantity: Quantity,
    status: OrderStatus,
    created_at: DateTime<Utc>,
}

#[utoipa::path(
    post,
    path = "/api/sales/{sale_id}/orders",
    tag = "public api",
    summary = "Place an order (the hot path: one Redis script decides it)",
    params(
        ("sale_id" = String, Path, description = "The sale's id"),
        ("Idempotency-Key" = Option<String>, Header,
            description = "1–128 visible ASCII: a retry with the same key gets the original 202"),
    ),
    request_body = OrderRequest,
    responses(
        (status = 202, description = "Accepted, pending persistence", body = Accepted,
            headers(("Location" = String, description = "The order's URL"))),
        (status = 400, description = "`invalid_request`", body = Problem,
            content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized`: buyer tokens are on and none valid was sent",
            body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: `user_id` is not the token's subject",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`sale_not_found`", body = Problem,
            content_type = "application/problem+json"),
        (status = 409, description = "`sold_out`, `insufficient_stock`, \
            `purchase_limit_exceeded`, `sale_not_started` or `sale_ended`",
            body = Problem, content_type = "application/problem+json",
            example = json!({
                "type": "urn:flashsale:problem:sold_out", "title": "Conflict", "status": 409,
                "detail": "The sale is sold out.", "code": "sold_out",
                "instance": "0192f3c4-8d1e-7b6a-a1f0-5c2e9d4b7a10"
            })),
        (status = 422, description = "`idempotency_key_reused` for another quantity",
            body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate_limited`", body = Problem,
            content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`sale_paused`, or `unavailable` (retry with the same \
            `Idempotency-Key`)", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
    security((), ("buyer_token" = [])),
)]
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
    // Per sale for the live sale page, where the metrics' label set could not grow with sales.
    if outcome == "sold_out" {
        state.dashboard.count_sold_out(&path);
    }
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
            let client_ip = state.trusted_proxies.client_address(request);
            state
                .rate_limits
                .check(&attempt.user, client_ip)
                .map_err(ApiError::RateLimited)?;
            let _slot = state.order_slots.take().await?;
            ReservationSent::mark(request);
            match engine.reserve(&attempt).await? {
                Reservation::Refused(Refusal::SaleNotFound) => {
                    state.archive.answer(&state.db, &attempt).await?
                }
                reservation => reservation,
            }
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
