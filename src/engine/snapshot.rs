//! What the classic engines read before deciding: the sale row and the buyer's earlier orders.
use crate::domain::{OrderAttempt, OrderId, Refusal, Reservation};
use crate::error::Result;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

/// What an attempt needs to know about the sale and the buyer.
pub(super) struct Snapshot {
    /// The version an optimistic update is conditional on.
    pub sold: i64,
    pub stock_left: i64,
    per_user_limit: i64,
    not_started: bool,
    ended: bool,
    bought: i64,
    /// The order an earlier attempt with the same idempotency key created.
    earlier: Option<(OrderId, String, i32, DateTime<Utc>)>,
}

/// The refusal or replay this snapshot calls for, `None` if the order may go ahead.
pub(super) fn check(snapshot: &Snapshot, attempt: &OrderAttempt) -> Option<Reservation> {
    let quantity = i64::from(attempt.quantity.get());
    if let Some((order_id, user, earlier_quantity, created_at)) = &snapshot.earlier {
        let same = user == attempt.user.as_str() && *earlier_quantity as i64 == quantity;
        return Some(if same {
            Reservation::Replayed {
                order_id: *order_id,
                created_at: *created_at,
            }
        } else {
            Reservation::Refused(Refusal::IdempotencyKeyReused)
        });
    }
    let refusal = if snapshot.not_started {
        Refusal::SaleNotStarted
    } else if snapshot.ended {
        Refusal::SaleEnded
    } else if snapshot.stock_left <= 0 {
        Refusal::SoldOut
    } else if snapshot.bought + quantity > snapshot.per_user_limit {
        Refusal::PurchaseLimitExceeded
    } else if snapshot.stock_left < quantity {
        Refusal::InsufficientStock
    } else {
        return None;
    };
    Some(Reservation::Refused(refusal))
}

pub(super) async fn snapshot(
    conn: &mut PgConnection,
    attempt: &OrderAttempt,
    lock: bool,
) -> Result<Option<Snapshot>> {
    let sale = sqlx::query(if lock {
        "SELECT sold, stock_total - sold AS stock_left, per_user_limit, now() < starts_at AS not_started,
                COALESCE(now() >= ends_at, false) AS ended
         FROM sales WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT sold, stock_total - sold AS stock_left, per_user_limit, now() < starts_at AS not_started,
                COALESCE(now() >= ends_at, false) AS ended
         FROM sales WHERE id = $1"
    })
    .bind(attempt.sale.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(sale) = sale else { return Ok(None) };
    let buyer = sqlx::query(
        "SELECT (SELECT COALESCE(SUM(quantity), 0)::int8 FROM orders
                 WHERE sale_id = $1 AND user_id = $2) AS bought,
                earlier.order_id, earlier.user_id, earlier.quantity, earlier.created_at
         FROM (SELECT 1) AS one
         LEFT JOIN orders AS earlier ON earlier.sale_id = $1 AND earlier.idempotency_key = $3",
    )
    .bind(attempt.sale.as_str())
    .bind(attempt.user.as_str())
    .bind(attempt.idempotency_key.as_ref().map(|key| key.as_str()))
    .fetch_one(&mut *conn)
    .await?;
    let per_user_limit: i32 = sale.try_get("per_user_limit")?;
    let earlier_id: Option<uuid::Uuid> = buyer.try_get("order_id")?;
    let earlier = match earlier_id {
        Some(id) => Some((
            OrderId::from_uuid(id),
            buyer.try_get("user_id")?,
            buyer.try_get("quantity")?,
            buyer.try_get("created_at")?,
        )),
        None => None,
    };
    Ok(Some(Snapshot {
        sold: sale.try_get("sold")?,
        stock_left: sale.try_get("stock_left")?,
        per_user_limit: i64::from(per_user_limit),
        not_started: sale.try_get("not_started")?,
        ended: sale.try_get("ended")?,
        bought: buyer.try_get("bought")?,
        earlier,
    }))
}
