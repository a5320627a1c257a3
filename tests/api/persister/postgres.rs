//! Postgres as the last guard and through an outage: never past the stock, nothing lost.
use super::buy;
use crate::helpers::{TcpProxy, spawn_app, spawn_app_with};
use futures::future::join_all;
use redis::AsyncCommands;
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn postgres_refuses_orders_beyond_the_stock_even_if_redis_accepted_them() {
    let app = spawn_app().await;
    app.create_sale("guarded", 5, json!({})).await;
    // Redis goes wrong and believes there are 8 units.
    let _: () = app
        .redis
        .clone()
        .hset(app.sale_keys("guarded").sale, "stock_left", 8)
        .await
        .unwrap();
    buy(&app, "guarded", 8).await;

    let sale = app.wait_until_persisted("guarded").await;

    assert_eq!(
        (sale["confirmed"].as_i64(), sale["rejected"].as_i64()),
        (Some(5), Some(3))
    );
    let orders = app.orders_in_postgres("guarded").await;
    assert_eq!(orders.len(), 8, "refused orders are kept, not dropped");
    assert_eq!(orders.iter().filter(|o| o.2 == "rejected").count(), 3);
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'guarded'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 5);
}

/// Cuts Postgres off for `outage` while `buyers` buy at once: buying goes on, readiness stays
/// ready and says degraded, Postgres down, and once it is back every order is persisted
/// exactly once.
async fn postgres_outage_under_load(buyers: usize, outage: Duration) {
    let proxy = TcpProxy::postgres();
    let app = spawn_app_with(|s| proxy.route_postgres(s)).await;
    app.create_sale("outage", buyers as i64, json!({})).await;

    proxy.cut();
    let statuses =
        join_all((0..buyers).map(|n| app.order("outage", json!({ "user_id": format!("b{n}") }))))
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect::<Vec<_>>();
    assert!(
        statuses.iter().all(|s| *s == 202),
        "buying stops without Postgres"
    );
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "still ready: it sells");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        (&ready["status"], &ready["postgres"]),
        (&json!("degraded"), &json!("down"))
    );
    tokio::time::sleep(outage).await;
    assert_eq!(app.orders_in_postgres("outage").await.len(), 0);
    proxy.restore();

    let sale = app.wait_until_persisted("outage").await;

    assert_eq!(sale["confirmed"], buyers);
    assert_eq!(app.orders_in_postgres("outage").await.len(), buyers);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn orders_accepted_while_postgres_is_down_are_persisted_once_it_is_back() {
    postgres_outage_under_load(50, Duration::from_millis(1_500)).await;
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn a_ten_second_postgres_outage_under_load_loses_and_duplicates_nothing() {
    postgres_outage_under_load(2_000, Duration::from_secs(10)).await;
}
