//! Payment holds (`payment_window_s`): a won order is a hold its buyer pays in time, or it
//! expires or is cancelled and its units sell again, exactly once, whatever races it.
mod accounting;
mod killed;
mod lifecycle;
mod races;

use crate::helpers::{ADMIN_TOKEN, TestApp, spawn_app_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// An app whose sweeper runs every 50 ms.
pub async fn holds_app() -> TestApp {
    spawn_app_with(|settings| settings.persister.hold_sweep_ms = 50).await
}

/// A sale of `stock` units, one per buyer, with a minute to pay.
pub async fn hold_sale(app: &TestApp, sale: &str, stock: i64) {
    let created = app
        .create_sale(sale, stock, json!({ "payment_window_s": 60 }))
        .await;
    assert_eq!(created.status(), 201);
}

/// Buys one unit for `user`; the order id.
pub async fn buy(app: &TestApp, sale: &str, user: &str) -> String {
    let response = app.order(sale, json!({ "user_id": user })).await;
    assert_eq!(response.status(), 202, "{user}");
    let body: Value = response.json().await.unwrap();
    body["order_id"].as_str().unwrap().to_owned()
}

/// Moves these holds' deadline to `at_ms` milliseconds from now, by Postgres's clock: as if
/// their window had run that far.
pub async fn deadline_in(app: &TestApp, orders: &[String], at_ms: i64) {
    let ids: Vec<uuid::Uuid> = orders.iter().map(|id| id.parse().unwrap()).collect();
    sqlx::query(
        "UPDATE orders SET expires_at = now() + make_interval(secs => $2::float8 / 1000)
         WHERE order_id = ANY($1)",
    )
    .bind(&ids)
    .bind(at_ms)
    .execute(&app.db)
    .await
    .unwrap();
}

pub async fn pay(app: &TestApp, sale: &str, order: &str, reference: &str) -> (u16, Value) {
    let response = app
        .http
        .post(format!(
            "{}/admin/sales/{sale}/orders/{order}/pay",
            app.address
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "payment_ref": reference }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

pub async fn cancel(app: &TestApp, sale: &str, order: &str, user: &str) -> (u16, Value) {
    let response = app
        .http
        .post(format!(
            "{}/api/sales/{sale}/orders/{order}/cancel",
            app.address
        ))
        .json(&json!({ "user_id": user }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// Waits until no hold of the sale awaits payment past its deadline and every ended hold's
/// units are back; the admin view then.
pub async fn wait_until_swept(app: &TestApp, sale: &str) -> Value {
    let started = Instant::now();
    loop {
        let (due, not_returned): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*) FILTER (WHERE status = 'awaiting_payment' AND expires_at <= now()),
                    COUNT(*) FILTER (WHERE status IN ('expired', 'cancelled')
                                     AND returned_at IS NULL)
             FROM orders WHERE sale_id = $1",
        )
        .bind(sale)
        .fetch_one(&app.db)
        .await
        .unwrap();
        if due == 0 && not_returned == 0 {
            return app.admin_sale(sale).await;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "holds of {sale} never swept"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
