//! `FLASHSALE_ADMIN_LISTEN`: the admin API, the dashboard and `/metrics` answer only on the
//! admin address, and the admin address answers nothing else but the probes. The public address
//! can then face the internet while the admin one stays inside the network edge; a request on
//! the wrong address gets the same 404 as an unknown route, so it learns nothing.
use crate::error::ApiError;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

/// The port of the admin listener, when there is one.
#[derive(Debug, Clone, Copy)]
pub struct AdminPort(pub Option<u16>);

fn is_admin_path(path: &str) -> bool {
    path == "/metrics" || path == "/admin" || path.starts_with("/admin/")
}

fn is_probe(path: &str) -> bool {
    matches!(path, "/livez" | "/healthz" | "/readyz")
}

pub async fn keep_admin_apart(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let admin_port = request.app_data::<AdminPort>().and_then(|port| port.0);
    if let Some(admin_port) = admin_port {
        let on_admin_listener = request.app_config().local_addr().port() == admin_port;
        let path = request.path();
        let allowed = is_probe(path) || is_admin_path(path) == on_admin_listener;
        if !allowed {
            let refusal = ApiError::RouteNotFound.error_response();
            return Ok(request.into_response(refusal).map_into_right_body());
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}
