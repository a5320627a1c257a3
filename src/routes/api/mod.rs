//! The public API under `/api`, used by buyers.
mod get_order;
mod get_sale;
mod place_order;

pub(crate) use get_order::find_order;

use super::method_not_allowed;
use actix_web::web;

/// The public API's part of the document, listed beside the registrations it must match.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    place_order::place_order,
    get_sale::get_sale,
    get_order::get_order,
    super::holds::cancel_order
))]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The order route first: actix tries resources in order, each dynamic one with a regex,
    // and this is the route a flash sale's storm hits.
    cfg.service(
        web::resource("/api/sales/{sale_id}/orders")
            .route(web::post().to(place_order::place_order))
            .default_service(method_not_allowed()),
    )
    .service(
        web::resource("/api/sales/{sale_id}")
            .route(web::get().to(get_sale::get_sale))
            .default_service(method_not_allowed()),
    )
    .service(
        web::resource("/api/sales/{sale_id}/orders/{order_id}")
            .route(web::get().to(get_order::get_order))
            .default_service(method_not_allowed()),
    )
    .service(
        web::resource("/api/sales/{sale_id}/orders/{order_id}/cancel")
            .route(web::post().to(super::holds::cancel_order))
            .default_service(method_not_allowed()),
    );
}
