//! `FLASHSALE_REDIS_WAIT_REPLICAS`: an accepted order is answered 202 only once `WAIT` says its
//! write reached that many replicas of the sale's master; short of them, 503 (the order
//! stands, and a retry with its key gets it back once the replicas have it). A master configured
//! with `min-replicas-to-write` refuses the order outright while short of replicas.
use crate::helpers::{
    RedisProcess, redis_cluster_nodes, snapshot, spawn_app_with, use_single_redis,
};
use flashsale::redis::RedisTarget;
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

#[tokio::test]
async fn a_master_short_of_the_replicas_it_requires_refuses_the_order_before_taking_anything() {
    // `min-replicas-to-write` on a Redis of the test's own (on the shared one it would stop
    // every other test): the master refuses the script's first write.
    let redis_server = RedisProcess::start().await;
    let app = spawn_app_with(|s| use_single_redis(s, redis_server.url())).await;
    app.create_sale("guarded", 10, json!({})).await;
    let mut redis = RedisTarget::new(&redis_server.url(), None)
        .connect(None)
        .await
        .unwrap();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("min-replicas-to-write")
        .arg(1)
        .query_async(&mut redis)
        .await
        .unwrap();
    let keys = app.sale_keys("guarded");
    let before = snapshot(&redis, &keys).await;

    let refused = app.order("guarded", json!({ "user_id": "carol" })).await;

    assert_eq!(refused.status(), 503, "an outage, never a 500");
    assert_eq!(refused.headers()["retry-after"], "1");
    assert_eq!(
        snapshot(&redis, &keys).await,
        before,
        "nothing taken nor recorded"
    );
}
