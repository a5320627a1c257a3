//! Which sales the persister reads: ended sales are forgotten by Redis's clock.
use super::manual_persister;
use crate::helpers::{TestApp, spawn_app_with};
use flashsale::persister::ExecutionOutcome;
use redis::AsyncCommands;
use serde_json::json;
use std::collections::BTreeSet;

/// Moves the sale's end in Redis to `ago_ms` before Redis's clock.
async fn ended(app: &TestApp, sale: &str, ago_ms: i64) {
    let (seconds, micros): (i64, i64) = redis::cmd("TIME")
        .query_async(&mut app.redis.clone())
        .await
        .unwrap();
    let end = seconds * 1000 + micros / 1000 - ago_ms;
    let _: () = app
        .redis
        .clone()
        .hset(app.sale_keys(sale).sale, "ends_at", end)
        .await
        .unwrap();
}

async fn read_sales(app: &TestApp) -> BTreeSet<String> {
    app.redis
        .clone()
        .smembers(app.keys.sales_index())
        .await
        .unwrap()
}

#[tokio::test]
async fn sales_that_ended_over_a_minute_ago_by_redis_clock_are_no_longer_read() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    for sale in ["long-over", "just-over", "open"] {
        app.create_sale(sale, 5, json!({})).await;
    }
    ended(&app, "long-over", 120_000).await;
    ended(&app, "just-over", 30_000).await;
    let mut persister = manual_persister(&app, 30_000).await;

    let outcome = persister.try_execute_task().await.unwrap();

    assert_eq!(outcome, ExecutionOutcome::Idle);
    let expected: BTreeSet<String> = ["just-over", "open"].map(String::from).into();
    assert_eq!(read_sales(&app).await, expected);
}
