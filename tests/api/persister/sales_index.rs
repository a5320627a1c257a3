//! Which sales the persister reads: ended sales are forgotten by Redis's clock, and a dead
//! letter replayed into a forgotten sale brings it back.
use super::{drain, manual_persister};
use crate::helpers::{TestApp, spawn_app_with};
use flashsale::persister::ExecutionOutcome;
use redis::AsyncCommands;
use serde_json::{Value, json};
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

#[tokio::test]
async fn a_dead_letter_replayed_into_a_forgotten_sale_is_read_and_persisted() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("late", 5, json!({})).await;
    let refuse = "ALTER TABLE orders ADD CONSTRAINT no_mallory CHECK (user_id <> 'mallory')";
    sqlx::query(refuse).execute(&app.db).await.unwrap();
    let response = app.order("late", json!({ "user_id": "mallory" })).await;
    assert_eq!(response.status(), 202);
    let mut persister = manual_persister(&app, 30_000).await;
    for _ in 0..2 {
        assert!(persister.try_execute_task().await.is_err(), "refused");
    }
    assert_eq!(
        drain(&mut persister).await.confirmed,
        0,
        "buried on the third refusal"
    );
    assert_eq!(app.admin_sale("late").await["dead_letters"], 1);
    ended(&app, "late", 120_000).await;
    // A new persister measures at once: the sale ended long ago and nothing waits.
    let mut persister = manual_persister(&app, 30_000).await;
    assert_eq!(
        persister.try_execute_task().await.unwrap(),
        ExecutionOutcome::Idle
    );
    assert!(read_sales(&app).await.is_empty());
    sqlx::query("ALTER TABLE orders DROP CONSTRAINT no_mallory")
        .execute(&app.db)
        .await
        .unwrap();

    let replayed: Value = app
        .admin_post("/admin/sales/late/dead-letters/replay", &json!({}))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(replayed["replayed"], 1, "{replayed}");
    assert!(read_sales(&app).await.contains("late"));
    assert_eq!(drain(&mut persister).await.confirmed, 1);
    assert_eq!(app.orders_in_postgres("late").await.len(), 1);
    assert_eq!(app.admin_sale("late").await["pending"], 0);
}
