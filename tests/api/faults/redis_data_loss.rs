//! Redis restarted without persistence: the sale comes back by itself from Postgres, with its
//! buyers' counts and idempotency keys, before it sells again.
use crate::helpers::{RedisProcess, spawn_app_with, use_single_redis};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn after_redis_lost_everything_the_sale_is_restored_before_it_sells_again() {
    let mut redis = RedisProcess::start_without_persistence().await;
    let url = redis.url();
    let owned_app = spawn_app_with(|s| use_single_redis(s, url)).await;
    let app = &owned_app;
    app.create_sale("amnesia", 50, json!({ "per_user_limit": 2 }))
        .await;
    let first = app
        .order_with_key("amnesia", json!({ "user_id": "b0" }), Some("b0-key"))
        .await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    for n in 1..20 {
        let response = app
            .order("amnesia", json!({ "user_id": format!("b{n}") }))
            .await;
        assert_eq!(response.status(), 202);
    }
    app.wait_until_persisted("amnesia").await;

    redis.shutdown().await;
    redis.restart().await;
    // No preload, no reconcile: the app restores the sale itself, and until then answers 503.
    let started = Instant::now();
    let retried = loop {
        let response = app
            .order_with_key("amnesia", json!({ "user_id": "b0" }), Some("b0-key"))
            .await;
        if response.status() != 503 {
            break response;
        }
        assert_eq!(response.headers()["retry-after"], "1");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the sale never came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(retried.status(), 202);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(
        retried["order_id"], first["order_id"],
        "the retry gets its order"
    );

    let sale: Value = app.get("/api/sales/amnesia").await.json().await.unwrap();
    assert_eq!(sale["stock_left"], 30);
    let again = app
        .order("amnesia", json!({ "user_id": "b0", "quantity": 2 }))
        .await;
    assert_eq!(again.status(), 409, "b0's earlier order still counts");
    assert_eq!(
        app.order("amnesia", json!({ "user_id": "newcomer" }))
            .await
            .status(),
        202
    );
    let readyz: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(readyz["redis_verified"], true);
    let sale = app.wait_until_persisted("amnesia").await;
    assert_eq!(sale["confirmed"], 21);
    assert_eq!(sale["rejected"], 0);
}
