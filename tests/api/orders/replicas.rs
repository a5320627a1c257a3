//! `FLASHSALE_REDIS_WAIT_REPLICAS`: an accepted order is answered 202 only once `WAIT` says its
//! write reached that many replicas of the sale's master; short of them, 503 (the order
//! stands, and a retry with its key gets it back once the replicas have it).
use crate::helpers::{redis_cluster_nodes, spawn_app_with};
use serde_json::{Value, json};

/// Replicas each master has: `make cluster` gives every master one, the single Redis none.
fn replicas_per_master() -> u32 {
    u32::from(redis_cluster_nodes().is_some())
}

#[tokio::test]
async fn an_order_is_answered_only_once_the_replicas_asked_for_have_it() {
    let replicas = replicas_per_master();
    if replicas > 0 {
        let app = spawn_app_with(|s| s.redis_wait_replicas = replicas).await;
        app.create_sale("replicated", 10, json!({})).await;
        let bought = app.order("replicated", json!({ "user_id": "alice" })).await;
        assert_eq!(bought.status(), 202, "every master has {replicas} replica");
    }

    let app = spawn_app_with(|s| s.redis_wait_replicas = replicas + 1).await;
    app.create_sale("short", 10, json!({})).await;
    let body = json!({ "user_id": "bob" });
    let unconfirmed = app.order_with_key("short", body.clone(), Some("k1")).await;
    assert_eq!(unconfirmed.status(), 503);
    assert_eq!(unconfirmed.headers()["retry-after"], "1");
    let problem: Value = unconfirmed.json().await.unwrap();
    assert_eq!(problem["code"], "unavailable");
    assert_eq!(
        app.stock_left("short").await,
        9,
        "the order stands, as after a timeout"
    );
    let again = app.order_with_key("short", body, Some("k1")).await;
    assert_eq!(again.status(), 503, "a replay is not confirmed either");
    assert_eq!(app.stock_left("short").await, 9, "and takes nothing more");
}
