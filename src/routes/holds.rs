//! The two ends of a hold its buyer or the payment service choose: pay (admin, called by the
//! payment service) and cancel (the buyer). Both answer from Postgres's record after a
//! transition that is conditional on the hold still awaiting payment before its deadline, so an
//! answer is final: a refused payment is refunded, a refused cancel shows where the order stands.
use crate::buyer_auth;
use crate::domain::{Order, OrderId, OrderStatus, PaymentRef, SaleId};
use crate::engine::Engine;
use crate::error::{ApiError, HoldConflict, Problem, Result};
use crate::holds::give_back;
use crate::postgres;
use crate::routes::api::find_order;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::time::Duration;
use utoipa::ToSchema;

/// How long a payment or a cancel of an order not yet in Postgres waits for it: the persister
/// writes within a few milliseconds, unless Postgres is away (then 409 `order_pending`, retry).
const PENDING_WAIT: Duration = Duration::from_secs(1);

/// What a refused transition found, and what to do about it.
enum Next {
    /// Not in Postgres yet: wait, then try the transition again.
    Wait,
    /// Awaiting payment: it reached Postgres between the transition and the lookup (or its
    /// deadline passed): try the transition again at once. A second refusal of a hold still
    /// awaiting payment means its deadline passed by Postgres's clock.
    Retry,
    Answer(Result<HttpResponse>),
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PayRequest {
    /// The payment service's reference of the payment.
    #[schema(min_length = 1, max_length = 128)]
    payment_ref: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CancelRequest {
    /// Required unless buyers present tokens (then it must match the token's subject).
    #[schema(min_length = 1, max_length = 64)]
    user_id: Option<String>,
}

#[utoipa::path(
    post,
    path = "/admin/sales/{sale_id}/orders/{order_id}/pay",
    tag = "admin",
    summary = "Record a hold's payment (called by the payment service)",
    params(
        ("sale_id" = String, Path, description = "The sale's id"),
        ("order_id" = String, Path, description = "The order's id (a UUID)"),
    ),
    request_body = PayRequest,
    responses(
        (status = 200, description = "The order, `paid` (the same call again: unchanged)",
            body = Order),
        (status = 400, description = "`invalid_request`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`order_not_found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`order_paid` (another reference), `order_expired`, \
            `order_cancelled`, `order_not_a_hold`, `order_rejected`, or `order_pending` with \
            `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
)]
#[tracing::instrument(name = "pay order", skip_all, fields(sale_id = %path.0, order_id = %path.1))]
pub async fn pay_order(
    path: web::Path<(String, String)>,
    body: web::Json<PayRequest>,
    state: web::Data<AppState>,
) -> Result<HttpResponse> {
    let (sale, order) = parse_path(&path)?;
    let payment = PaymentRef::parse(body.payment_ref.as_deref().unwrap_or_default())?;
    let started = tokio::time::Instant::now();
    let mut retried = false;
    loop {
        if postgres::holds::pay(&state.db, &sale, order, &payment).await? {
            state.metrics.hold_transition("paid", 1);
            return answer(&state, &sale, order).await;
        }
        let found = find_order(&state, &sale, order).await?;
        let found = found.ok_or(ApiError::OrderNotFound)?;
        let next = match found.status {
            OrderStatus::Paid if found.payment_ref.as_ref() == Some(&payment) => {
                Next::Answer(Ok(HttpResponse::Ok().json(found)))
            }
            status => next_step(status, started, &mut retried),
        };
        match next {
            Next::Wait => tokio::time::sleep(Duration::from_millis(50)).await,
            Next::Retry => {}
            Next::Answer(answer) => return answer,
        }
    }
}

#[utoipa::path(
    post,
    path = "/api/sales/{sale_id}/orders/{order_id}/cancel",
    tag = "public api",
    summary = "Cancel a hold before it is paid; its units go back on sale",
    params(
        ("sale_id" = String, Path, description = "The sale's id"),
        ("order_id" = String, Path, description = "The order's id (a UUID)"),
    ),
    request_body = CancelRequest,
    responses(
        (status = 200, description = "The order, `cancelled` (again: unchanged)", body = Order),
        (status = 400, description = "`invalid_request`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "`unauthorized` (buyer tokens on)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "`forbidden`: `user_id` is not the token's subject",
            body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`order_not_found` (also another buyer's order)",
            body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`order_paid`, `order_expired`, or `order_pending` with \
            `Retry-After`", body = Problem, content_type = "application/problem+json"),
    ),
    security((), ("buyer_token" = [])),
)]
#[tracing::instrument(name = "cancel order", skip_all, fields(sale_id = %path.0, order_id = %path.1))]
pub async fn cancel_order(
    path: web::Path<(String, String)>,
    body: web::Json<CancelRequest>,
    request: HttpRequest,
    state: web::Data<AppState>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse> {
    let (sale, order) = parse_path(&path)?;
    let user = buyer_auth::identify(
        state.buyer_tokens.as_ref(),
        &request,
        body.into_inner().user_id,
    )?;
    let started = tokio::time::Instant::now();
    let mut retried = false;
    loop {
        if let Some(cancelled) = postgres::holds::cancel(&state.db, &sale, order, &user).await? {
            state.metrics.hold_transition("cancelled", 1);
            // The cancel stands once Postgres has it; a return that fails here is finished by
            // the sweeper, and the units stay taken until then.
            match give_back(&state.redis, &state.db, &[cancelled]).await {
                Ok(returned) => state.metrics.hold_transition("returned", returned),
                Err(e) => tracing::warn!(error = ?e, "returning a cancelled hold's units failed"),
            }
            engine.sale_changed(&sale);
            return answer(&state, &sale, order).await;
        }
        let found = find_order(&state, &sale, order).await?;
        let found = found
            .filter(|found| found.user_id == user)
            .ok_or(ApiError::OrderNotFound)?;
        let next = match found.status {
            OrderStatus::Cancelled => Next::Answer(Ok(HttpResponse::Ok().json(found))),
            status => next_step(status, started, &mut retried),
        };
        match next {
            Next::Wait => tokio::time::sleep(Duration::from_millis(50)).await,
            Next::Retry => {}
            Next::Answer(answer) => return answer,
        }
    }
}

/// After a refused transition: wait for a pending order (a while), try once more for a hold
/// still awaiting payment, else answer why not.
fn next_step(status: OrderStatus, started: tokio::time::Instant, retried: &mut bool) -> Next {
    match status {
        OrderStatus::Pending if started.elapsed() < PENDING_WAIT => Next::Wait,
        OrderStatus::AwaitingPayment if !*retried => {
            *retried = true;
            Next::Retry
        }
        status => Next::Answer(Err(conflict(status))),
    }
}

fn parse_path(path: &(String, String)) -> Result<(SaleId, OrderId)> {
    let sale = SaleId::parse(&path.0)?;
    let order = OrderId::parse(&path.1).map_err(|_| ApiError::OrderNotFound)?;
    Ok((sale, order))
}

async fn answer(state: &AppState, sale: &SaleId, order: OrderId) -> Result<HttpResponse> {
    let found: Option<Order> = postgres::orders::find(&state.db, sale, order).await?;
    Ok(HttpResponse::Ok().json(found.ok_or(ApiError::OrderNotFound)?))
}

/// Why an order in this state cannot be paid or cancelled now. A hold still awaiting payment
/// that the transition refused is past its deadline: the sweeper is about to expire it.
fn conflict(status: OrderStatus) -> ApiError {
    ApiError::Hold(match status {
        OrderStatus::Paid => HoldConflict::Paid,
        OrderStatus::Expired | OrderStatus::AwaitingPayment => HoldConflict::Expired,
        OrderStatus::Cancelled => HoldConflict::Cancelled,
        OrderStatus::Pending => HoldConflict::Pending,
        OrderStatus::Confirmed => HoldConflict::NotAHold,
        OrderStatus::Rejected => HoldConflict::Rejected,
    })
}
