//! The request deadline never turns an order Redis accepted into a 408.
use crate::helpers::{RedisProcess, spawn_app_with, use_single_redis};
use serde_json::{Value, json};

#[tokio::test]
async fn an_order_already_sent_to_a_slow_redis_is_answered_202_after_the_request_deadline() {
    let redis_server = RedisProcess::start().await;
    let url = redis_server.url();
    let app = spawn_app_with(|s| {
        use_single_redis(s, url);
        s.request_timeout_ms = 300;
        s.redis_timeout_ms = 3_000;
    })
    .await;
    app.create_sale("slow", 10, json!({})).await;
    let mut redis = redis::Client::open(redis_server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    // Redis holds every write for a second: far past the 300 ms request deadline.
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(1_000)
        .arg("WRITE")
        .query_async(&mut redis)
        .await
        .unwrap();

    let response = app.order("slow", json!({ "user_id": "patient" })).await;

    assert_eq!(response.status(), 202);
    let order: Value = response.json().await.unwrap();
    let sale = app.wait_until_persisted("slow").await;
    assert_eq!(sale["confirmed"], 1);
    let stored = app
        .get(&format!(
            "/api/sales/slow/orders/{}",
            order["order_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(stored.status(), 200);
}
