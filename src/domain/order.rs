//! An order: one accepted reservation, first pending in Redis, then settled in Postgres.
use super::{IdempotencyKey, PaymentRef, PaymentWindow, Quantity, SaleId, UserId, ValidationError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;
use uuid::Uuid;

/// A UUIDv7: unique without coordination, and time-ordered so Postgres inserts stay local.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(transparent)]
pub struct OrderId(Uuid);

impl OrderId {
    pub fn generate() -> Self {
        Self(Uuid::now_v7())
    }

    pub fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Uuid::try_parse(raw)
            .map(Self)
            .map_err(|_| ValidationError::new("order id", "must be a UUID"))
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Accepted by Redis, not yet written to Postgres.
    Pending,
    /// In Postgres and counted against the stock.
    Confirmed,
    /// In Postgres but refused by its stock guard: Redis accepted more than the sale holds.
    Rejected,
    /// A hold (the sale has a payment window): in Postgres, counted against the stock, until it
    /// is paid, expires or is cancelled.
    AwaitingPayment,
    Paid,
    /// Not paid in time: its units went back on sale.
    Expired,
    /// Cancelled by its buyer before it was paid: its units went back on sale.
    Cancelled,
}

impl OrderStatus {
    /// The status as Postgres stores it (`order_status`); `None` for `Pending`, which only Redis
    /// holds.
    pub fn parse_stored(raw: &str) -> Option<Self> {
        Some(match raw {
            "confirmed" => Self::Confirmed,
            "rejected" => Self::Rejected,
            "awaiting_payment" => Self::AwaitingPayment,
            "paid" => Self::Paid,
            "expired" => Self::Expired,
            "cancelled" => Self::Cancelled,
            _ => return None,
        })
    }
}

/// An order Redis accepted, as the reservation script recorded it (in the sale's stream and its
/// pending orders) until the persister settles it in Postgres.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedOrder {
    pub order_id: OrderId,
    pub user_id: UserId,
    pub quantity: Quantity,
    pub created_at: DateTime<Utc>,
    /// The buyer's `Idempotency-Key`, kept with the order so a retry finds it after Redis lost it.
    pub idempotency_key: Option<IdempotencyKey>,
}

/// An order as its buyer sees it; `expires_at` for a hold, `payment_ref` once paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "order_id": "019a7f3e-4c1b-7d2a-9e55-3b8f0c6d2a11", "sale_id": "summer-drop",
    "user_id": "buyer-42", "quantity": 2, "status": "confirmed",
    "created_at": "2026-06-01T09:00:00.123Z"
}))]
pub struct Order {
    pub order_id: OrderId,
    pub sale_id: SaleId,
    pub user_id: UserId,
    pub quantity: Quantity,
    pub status: OrderStatus,
    pub created_at: DateTime<Utc>,
    /// The end of a hold, for a sale with a payment window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_ref: Option<PaymentRef>,
}

impl Order {
    /// An accepted order Postgres does not hold yet; a hold if the sale has a payment window.
    pub fn pending(
        sale_id: SaleId,
        accepted: AcceptedOrder,
        window: Option<PaymentWindow>,
    ) -> Self {
        Self {
            order_id: accepted.order_id,
            sale_id,
            user_id: accepted.user_id,
            quantity: accepted.quantity,
            status: OrderStatus::Pending,
            created_at: accepted.created_at,
            expires_at: window.map(|window| window.expires_at(accepted.created_at)),
            payment_ref: None,
        }
    }
}
