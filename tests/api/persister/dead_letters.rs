//! Entries that can never be written go to the dead letters; the ones around them are written.
use super::{buy, delivered_unacknowledged, manual_persister};
use crate::helpers::spawn_app_with;
use flashsale::persister::ExecutionOutcome;
use redis::AsyncCommands;
use serde_json::json;

#[tokio::test]
async fn entries_that_can_never_be_written_go_to_the_dead_letters_without_blocking_the_rest() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("poisoned", 10, json!({ "per_user_limit": 2 }))
        .await;
    buy(&app, "poisoned", 2).await;
    let keys = app.sale_keys("poisoned");
    // One entry that parses but Postgres refuses (a timestamp before 4713 BC, outside its
    // range), one whose quantity breaks the contract, and one that is not an order at all.
    let order = |quantity: &str, created_ms: &str| {
        [
            ("order_id", uuid::Uuid::now_v7().to_string()),
            ("user_id", "mallory".to_owned()),
            ("quantity", quantity.to_owned()),
            ("created_ms", created_ms.to_owned()),
        ]
    };
    for entry in [
        order("1", "-220000000000000"),
        order("5000", "1700000000000"),
    ] {
        let _: String = app
            .redis
            .clone()
            .xadd(&keys.orders, "*", &entry)
            .await
            .unwrap();
    }
    let _: String = app
        .redis
        .clone()
        .xadd(&keys.orders, "*", &[("garbage", "yes")])
        .await
        .unwrap();
    buy(&app, "poisoned", 3).await;
    let mut persister = manual_persister(&app, 30_000).await;

    let mut written = 0;
    for _ in 0..10 {
        match persister.try_execute_task().await {
            Ok(ExecutionOutcome::Persisted(tally)) => written += tally.confirmed,
            Ok(ExecutionOutcome::Idle) => break,
            Err(_) => {} // the poisoned batch failing before it is taken apart
        }
    }

    assert_eq!(written, 5, "the good orders around the poison are written");
    assert_eq!(app.orders_in_postgres("poisoned").await.len(), 5);
    let dead: redis::streams::StreamRangeReply = app
        .redis
        .clone()
        .xrange_all(&keys.dead_letters)
        .await
        .unwrap();
    assert_eq!(dead.ids.len(), 3);
    let reasons: Vec<String> = dead.ids.iter().map(|e| e.get("reason").unwrap()).collect();
    assert_eq!(
        reasons.iter().filter(|r| *r == "malformed entry").count(),
        2,
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"refused by postgres: 22008".to_owned()),
        "{reasons:?}"
    );
    assert_eq!(delivered_unacknowledged(&app, &keys.orders).await, 0);
    let length: usize = app.redis.clone().xlen(&keys.orders).await.unwrap();
    assert_eq!(length, 0);
    let sale = app.admin_sale("poisoned").await;
    assert_eq!(sale["dead_letters"], 3);
}
