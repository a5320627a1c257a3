//! Preloading: a live sale is kept as is, a lost one is rebuilt with its buyers' limits.
use crate::helpers::spawn_app;
use redis::AsyncCommands;
use serde_json::{Value, json};

#[tokio::test]
async fn preloading_a_live_sale_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("live", 10, json!({ "per_user_limit": 5 }))
        .await;
    app.order("live", json!({ "user_id": "a", "quantity": 4 }))
        .await;
    app.wait_until_persisted("live").await;
    let before = app.redis_snapshot("live").await;

    let response = app
        .admin_post("/admin/sales/live/preload", &json!({}))
        .await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["preload"], "kept");
    assert_eq!(body["stock_left"], 6);
    assert_eq!(app.redis_snapshot("live").await, before);
}

#[tokio::test]
async fn preloading_after_redis_lost_the_sale_restores_stock_and_buyer_limits() {
    let app = spawn_app().await;
    app.create_sale("lost", 10, json!({ "per_user_limit": 2 }))
        .await;
    app.order("lost", json!({ "user_id": "a", "quantity": 2 }))
        .await;
    app.order("lost", json!({ "user_id": "b", "quantity": 1 }))
        .await;
    app.wait_until_persisted("lost").await;
    let keys = app.sale_keys("lost");
    let _: () = app.redis.clone().del(&keys.all()).await.unwrap();
    assert_eq!(app.get("/api/sales/lost").await.status(), 404);

    let response = app
        .admin_post("/admin/sales/lost/preload", &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["preload"], "loaded");
    assert_eq!(body["stock_left"], 7);
    assert_eq!(body["reserved"], 3);
    assert_eq!(body["pending"], 0);

    let again = app.order("lost", json!({ "user_id": "a" })).await;
    assert_eq!(again.status(), 409, "the buyer's limit survived the loss");
    assert_eq!(
        app.order("lost", json!({ "user_id": "b" })).await.status(),
        202
    );
    let sale = app.wait_until_persisted("lost").await;
    assert_eq!(sale["confirmed"], 4);
    assert_eq!(sale["stock_left"], 6);
}

#[tokio::test]
async fn preloading_counts_orders_still_waiting_in_redis_as_taken() {
    let app = crate::helpers::spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("half-lost", 10, json!({ "per_user_limit": 3 }))
        .await;
    app.order("half-lost", json!({ "user_id": "a", "quantity": 3 }))
        .await;
    let keys = app.sale_keys("half-lost");
    // Redis lost the sale and its buyers but not the orders waiting for the persister.
    let _: () = app
        .redis
        .clone()
        .del(&[&keys.sale, &keys.buyers])
        .await
        .unwrap();

    let response = app
        .admin_post("/admin/sales/half-lost/preload", &json!({}))
        .await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["preload"], "loaded");
    assert_eq!(body["stock_left"], 7);
    assert_eq!(body["reserved"], 3);
    assert_eq!(body["pending"], 3);
    assert_eq!(
        app.order("half-lost", json!({ "user_id": "a" }))
            .await
            .status(),
        409
    );
}
