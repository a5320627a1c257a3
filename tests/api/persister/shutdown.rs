//! Stopping the app: every batch it took is acknowledged or left for the next persister.
use super::{buy, delivered_unacknowledged, orders_in_stream};
use crate::helpers::spawn_app_with;
use redis::AsyncCommands;
use serde_json::json;

#[tokio::test]
async fn stopping_the_app_acknowledges_every_batch_it_took() {
    let mut app = spawn_app_with(|s| s.persister.batch_size = 5).await;
    app.create_sale("closing", 100, json!({})).await;
    buy(&app, "closing", 40).await;

    app.stop().await;

    // Every order is either in Postgres or still in the stream for the next persister, and
    // nothing was left delivered but unacknowledged.
    let stream = app.sale_keys("closing").orders;
    let in_stream = orders_in_stream(&app, &stream).await;
    let in_postgres = app.orders_in_postgres("closing").await.len();
    assert_eq!(in_postgres + in_stream, 40);
    assert_eq!(delivered_unacknowledged(&app, &stream).await, 0);
    let pending_records: usize = app
        .redis
        .clone()
        .hlen(app.sale_keys("closing").pending)
        .await
        .unwrap();
    assert_eq!(
        pending_records, in_stream,
        "persisted orders leave the pending hash"
    );
}
