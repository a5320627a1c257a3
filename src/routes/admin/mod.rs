//! The admin API under `/admin`: every route behind the bearer token.
mod auth;
mod create_sale;
mod dashboard;
mod end_sale;
mod get_sale;
mod list_dead_letters;
mod list_sales;
mod pause;
mod preload;
mod reconcile;
mod replay_dead_letters;
mod restock;
mod resume;

use super::method_not_allowed;
use crate::domain::{Buckets, PaymentWindow, Refusal, Sale, SaleDefinition, SaleId};
use crate::engine::Engine;
use crate::error::{ApiError, Result};
use crate::postgres;
use crate::state::AppState;
use actix_web::middleware::from_fn;
use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

/// The admin API's part of the document, listed beside the registrations it must match.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create_sale::create_sale,
    list_sales::list_sales,
    get_sale::get_sale,
    list_dead_letters::list_dead_letters,
    replay_dead_letters::replay_dead_letters,
    preload::preload,
    reconcile::reconcile,
    restock::restock,
    pause::pause,
    resume::resume,
    super::holds::pay_order,
    end_sale::end_sale,
    dashboard::page::page,
    dashboard::events::events
))]
pub struct AdminDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // Before the scope, which would demand the token: the page holds no data and asks for it.
    cfg.service(
        web::resource("/admin/dashboard")
            .route(web::get().to(dashboard::page))
            .default_service(method_not_allowed()),
    )
    .service(
        web::scope("/admin")
            .wrap(from_fn(auth::require_admin_token))
            .service(
                web::resource("/dashboard/events")
                    .route(web::get().to(dashboard::events))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales")
                    .route(web::post().to(create_sale::create_sale))
                    .route(web::get().to(list_sales::list_sales))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}")
                    .route(web::get().to(get_sale::get_sale))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/dead-letters")
                    .route(web::get().to(list_dead_letters::list_dead_letters))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/dead-letters/replay")
                    .route(web::post().to(replay_dead_letters::replay_dead_letters))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/preload")
                    .route(web::post().to(preload::preload))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/reconcile")
                    .route(web::post().to(reconcile::reconcile))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/restock")
                    .route(web::post().to(restock::restock))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/pause")
                    .route(web::post().to(pause::pause))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/resume")
                    .route(web::post().to(resume::resume))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/orders/{order_id}/pay")
                    .route(web::post().to(super::holds::pay_order))
                    .default_service(method_not_allowed()),
            )
            .service(
                web::resource("/sales/{sale_id}/end")
                    .route(web::post().to(end_sale::end_sale))
                    .default_service(method_not_allowed()),
            ),
    );
}

/// The sale a path names, from Postgres: 400 for a malformed id, 404 for an unknown one.
pub async fn find_sale(state: &AppState, path: &str) -> Result<SaleDefinition> {
    let id = SaleId::parse(path)?;
    postgres::sales::find(&state.db, &id)
        .await?
        .ok_or(ApiError::Refused(Refusal::SaleNotFound))
}

/// A sale as operators see it: the public view plus where its accepted quantity stands.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "summer-drop", "name": "Summer drop", "stock_total": 500, "stock_left": 498,
    "per_user_limit": 2, "starts_at": "2026-06-01T09:00:00Z", "ends_at": null, "state": "active",
    "buckets": 1, "reserved": 2, "confirmed": 2, "pending": 0, "rejected": 0,
    "awaiting_payment": 0, "paid": 0, "expired": 0, "cancelled": 0, "returning": 0,
    "loaded": true, "retired": false, "dead_letters": 0
}))]
pub struct AdminSale {
    #[serde(flatten)]
    pub sale: Sale,
    /// Redis stock counters the sale is split over; not in the public view.
    pub buckets: Buckets,
    /// Quantity accepted by Redis so far.
    pub reserved: i64,
    /// Quantity persisted as confirmed orders.
    pub confirmed: i64,
    /// Quantity accepted but not yet in Postgres.
    pub pending: i64,
    /// Quantity persisted but refused by Postgres's stock guard.
    pub rejected: i64,
    /// Seconds a buyer has to pay for a hold; absent for a sale that sells final orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_window_s: Option<PaymentWindow>,
    /// Quantities of holds by where they stand (all 0 for a sale without a payment window).
    pub awaiting_payment: i64,
    pub paid: i64,
    pub expired: i64,
    pub cancelled: i64,
    /// Of `expired` and `cancelled`, the units on their way back to Redis (still counted in
    /// `reserved` until they arrive): `reserved == pending + awaiting_payment + paid +
    /// confirmed + rejected + returning` at every instant.
    pub returning: i64,
    /// Whether Redis holds the sale; `false` after Redis lost it and before a preload, and once
    /// it retired.
    pub loaded: bool,
    /// Whether the sale retired from Redis (ended, everything in Postgres): its figures come
    /// from Postgres, and a preload brings it back.
    pub retired: bool,
    /// Orders the persister could never write (still counted in `pending`), kept in the sale's
    /// dead-letter stream for an operator.
    pub dead_letters: i64,
}

impl AdminSale {
    /// Reads Postgres before Redis: orders only ever move from Redis to Postgres, so this order
    /// of reads can only under-count `pending`, never make it negative.
    pub async fn load(
        state: &AppState,
        engine: &Engine,
        definition: SaleDefinition,
    ) -> Result<Self> {
        let settled = postgres::orders::settlement(&state.db, &definition.id, &[])
            .await?
            .settled;
        let live = engine.live_sale(&definition.id).await?;
        let dead_letters = state
            .redis
            .dead_letters(&definition.id, definition.buckets)
            .await?;
        let persisted = settled.taken();
        let mut retired = false;
        let (stock_left, reserved, loaded, paused) = match live {
            Some(live) => (live.stock_left, live.reserved, true, live.paused),
            None => {
                let paused = postgres::sales::paused(&state.db, &definition.id).await?;
                let archived = postgres::retirement::find_retired(&state.db, &definition.id);
                match archived.await? {
                    Some(sale) => {
                        retired = true;
                        (sale.stock_left(), sale.taken, false, paused)
                    }
                    None => (0, persisted, false, paused),
                }
            }
        };
        let definition_window = definition.payment_window;
        Ok(Self {
            buckets: definition.buckets,
            sale: Sale::new(definition, stock_left, chrono::Utc::now()).with_pause(paused),
            reserved,
            confirmed: settled.confirmed,
            pending: (reserved - persisted).max(0),
            rejected: settled.rejected,
            payment_window_s: definition_window,
            awaiting_payment: settled.awaiting_payment,
            paid: settled.paid,
            expired: settled.expired,
            cancelled: settled.cancelled,
            returning: settled.not_returned,
            loaded,
            retired,
            dead_letters,
        })
    }
}
