//! Acknowledged entries leave the stream by trimming: only once no older entry is pending, and
//! never an entry not yet delivered. An order id found outside its buyer's orders is still
//! counted once.
use super::{buy, delivered_unacknowledged, drain, manual_persister, take_and_stall};
use crate::helpers::{TestApp, spawn_app_with};
use flashsale::persister::{ExecutionOutcome, Tally};
use redis::AsyncCommands;
use serde_json::json;
use std::time::Duration;

async fn stream_length(app: &TestApp, sale: &str) -> usize {
    app.redis
        .clone()
        .xlen(app.sale_keys(sale).orders)
        .await
        .unwrap()
}

#[tokio::test]
async fn acknowledged_entries_stay_until_no_older_entry_is_pending() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("trimmed", 20, json!({ "per_user_limit": 2 }))
        .await;
    buy(&app, "trimmed", 10).await;
    let stream = app.sale_keys("trimmed").orders;
    // A consumer takes the four oldest entries and stalls.
    assert_eq!(take_and_stall(&app, &stream, "stalled", 4).await, 4);

    let mut persister = manual_persister(&app, 30_000).await;
    assert_eq!(drain(&mut persister).await.confirmed, 6);
    assert_eq!(
        stream_length(&app, "trimmed").await,
        10,
        "the six acknowledged entries wait behind the four pending ones"
    );

    buy(&app, "trimmed", 2).await;
    let mut claimer = manual_persister(&app, 50).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let claimed = claimer.try_execute_task().await.unwrap();
    assert!(matches!(claimed, ExecutionOutcome::Persisted(t) if t.confirmed == 4));
    assert_eq!(
        stream_length(&app, "trimmed").await,
        2,
        "everything delivered is gone; the two entries never delivered stay"
    );

    assert_eq!(drain(&mut claimer).await.confirmed, 2);
    assert_eq!(stream_length(&app, "trimmed").await, 0);
    assert_eq!(delivered_unacknowledged(&app, &stream).await, 0);
    let pending: usize = app
        .redis
        .clone()
        .hlen(app.sale_keys("trimmed").pending)
        .await
        .unwrap();
    assert_eq!(pending, 0);
    assert_eq!(app.orders_in_postgres("trimmed").await.len(), 12);
}

#[tokio::test]
async fn an_order_id_postgres_holds_under_another_sale_is_a_duplicate_and_takes_no_stock() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("first", 10, json!({})).await;
    app.create_sale("second", 10, json!({})).await;
    buy(&app, "first", 1).await;
    let mut persister = manual_persister(&app, 30_000).await;
    assert_eq!(drain(&mut persister).await.confirmed, 1);
    let (order_id,): (uuid::Uuid,) =
        sqlx::query_as("SELECT order_id FROM orders WHERE sale_id = 'first'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    // The same id arrives in another sale's stream, for another buyer, after two orders.
    buy(&app, "second", 2).await;
    let entry = [
        ("order_id", order_id.to_string()),
        ("user_id", "someone-else".to_owned()),
        ("quantity", "1".to_owned()),
        ("created_ms", "1700000000000".to_owned()),
    ];
    let keys = app.sale_keys("second");
    let _: String = app
        .redis
        .clone()
        .xadd(&keys.orders, "*", &entry)
        .await
        .unwrap();

    let tally = drain(&mut persister).await;

    assert_eq!(
        tally,
        Tally {
            confirmed: 2,
            rejected: 0,
            duplicates: 1
        }
    );
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'second'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 2);
    assert_eq!(app.orders_in_postgres("second").await.len(), 2);
}
