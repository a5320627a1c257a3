//! The admin bearer token check, run before any admin handler or body parsing.
use crate::error::ApiError;
use crate::state::AppState;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::web;
use subtle::ConstantTimeEq;

pub async fn require_admin_token(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let expected = request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.admin_token.as_bytes());
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.as_bytes().strip_prefix(b"Bearer "));
    // Constant-time, so response timing does not reveal how much of a guess was right.
    let authorized = match (expected, presented) {
        (Some(expected), Some(presented)) => bool::from(expected.ct_eq(presented)),
        _ => false,
    };
    if !authorized {
        // Answered here rather than returned as an error, so the request's id is still known
        // to the document (see `request_id`).
        let refused = ApiError::Unauthorized.error_response();
        return Ok(request.into_response(refused).map_into_right_body());
    }
    Ok(next.call(request).await?.map_into_left_body())
}
