//! Redelivery: entries a dead consumer held are claimed, a batch delivered twice adds no rows.
use super::{buy, delivered_unacknowledged, drain, manual_persister, take_and_stall};
use crate::helpers::spawn_app_with;
use flashsale::persister::Tally;
use redis::AsyncCommands;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn orders_left_pending_by_a_dead_consumer_are_claimed_and_persisted_once() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("orphans", 10, json!({})).await;
    buy(&app, "orphans", 10).await;
    let stream = app.sale_keys("orphans").orders;
    // A consumer reads every entry, then dies before writing or acknowledging any.
    assert_eq!(
        take_and_stall(&app, &stream, "dead-consumer", 100).await,
        10
    );
    let mut persister = manual_persister(&app, 50).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let tally = drain(&mut persister).await;

    assert_eq!(
        tally,
        Tally {
            confirmed: 10,
            rejected: 0,
            duplicates: 0
        }
    );
    assert_eq!(app.orders_in_postgres("orphans").await.len(), 10);
    assert_eq!(delivered_unacknowledged(&app, &stream).await, 0);
    let length: usize = app.redis.clone().xlen(&stream).await.unwrap();
    assert_eq!(length, 0, "acknowledged entries are deleted");
    assert_eq!(drain(&mut persister).await, Tally::default());
}

#[tokio::test]
async fn a_batch_delivered_again_after_its_commit_adds_no_rows() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("again", 10, json!({})).await;
    buy(&app, "again", 5).await;
    let stream = app.sale_keys("again").orders;
    let entries: redis::streams::StreamRangeReply =
        app.redis.clone().xrange_all(&stream).await.unwrap();
    let mut persister = manual_persister(&app, 30_000).await;
    assert_eq!(drain(&mut persister).await.confirmed, 5);

    // The same entries arrive again, as after a crash between commit and acknowledgement.
    for entry in &entries.ids {
        let fields: Vec<(String, String)> = entry
            .map
            .iter()
            .map(|(k, v)| (k.clone(), redis::from_redis_value_ref(v).unwrap()))
            .collect();
        let _: String = app.redis.clone().xadd(&stream, "*", &fields).await.unwrap();
    }
    let tally = drain(&mut persister).await;

    assert_eq!(
        tally,
        Tally {
            confirmed: 0,
            rejected: 0,
            duplicates: 5
        }
    );
    assert_eq!(app.orders_in_postgres("again").await.len(), 5);
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'again'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 5, "duplicates do not count against the stock twice");
}
