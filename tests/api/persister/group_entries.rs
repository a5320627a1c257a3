//! A group commit's orders travel in one stream entry, so they are settled together: an order
//! of the entry that Postgres refuses goes to the dead letters alone, and the entry is
//! acknowledged only once every one of its orders is written or buried.
use super::{delivered_unacknowledged, manual_persister};
use crate::helpers::{TestApp, spawn_app_with};
use redis::AsyncCommands;
use serde_json::json;

const SALE: &str = "grouped";

/// One entry as `lua/reserve.lua` writes it for a batch of `users` (one unit each), with their
/// pending records.
async fn group_commit_entry(app: &TestApp, users: &[&str]) {
    let keys = app.sale_keys(SALE);
    let created_ms = chrono::Utc::now().timestamp_millis().to_string();
    let mut lines = Vec::new();
    for user in users {
        let order_id = uuid::Uuid::now_v7().to_string();
        let pending = format!("{user}\t1\t{created_ms}");
        let _: () = app
            .redis
            .clone()
            .hset(&keys.pending, &order_id, pending)
            .await
            .unwrap();
        lines.push(format!("{order_id}\t{user}\t1"));
    }
    let fields = [("created_ms", created_ms), ("orders", lines.join("\n"))];
    let _: String = app
        .redis
        .clone()
        .xadd(&keys.orders, "*", &fields)
        .await
        .unwrap();
}

async fn dead_letters(app: &TestApp) -> Vec<String> {
    let dead: redis::streams::StreamRangeReply = app
        .redis
        .clone()
        .xrange_all(app.sale_keys(SALE).dead_letters)
        .await
        .unwrap();
    dead.ids.iter().map(|e| e.get("user_id").unwrap()).collect()
}

async fn buyers_in_postgres(app: &TestApp) -> Vec<String> {
    let orders = app.orders_in_postgres(SALE).await;
    orders.into_iter().map(|order| order.0).collect()
}

#[tokio::test]
async fn an_entry_is_acknowledged_only_once_all_its_orders_are_written_or_buried() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale(SALE, 10, json!({})).await;
    let keys = app.sale_keys(SALE);
    // Postgres refuses mallory's order for its data, and fails carol's for a while as an outage
    // would (a serialization failure is retried, never buried).
    for statement in [
        "ALTER TABLE orders ADD CONSTRAINT no_mallory CHECK (user_id <> 'mallory')",
        "CREATE FUNCTION carol_fails() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
             IF NEW.user_id = 'carol' THEN RAISE EXCEPTION 'outage' USING ERRCODE = '40001';
             END IF; RETURN NEW; END $$",
        "CREATE TRIGGER carol_fails BEFORE INSERT ON orders FOR EACH ROW
             EXECUTE FUNCTION carol_fails()",
    ] {
        sqlx::query(statement).execute(&app.db).await.unwrap();
    }
    group_commit_entry(&app, &["alice", "mallory", "carol"]).await;
    let mut persister = manual_persister(&app, 30_000).await;

    // The whole batch fails on mallory, then is written order by order: alice is committed,
    // mallory refused, and carol's outage stops the step before the entry is settled.
    for _ in 0..3 {
        assert!(persister.try_execute_task().await.is_err());
    }
    assert_eq!(buyers_in_postgres(&app).await, ["alice"]);
    assert_eq!(delivered_unacknowledged(&app, &keys.orders).await, 1);
    assert!(dead_letters(&app).await.is_empty());
    let pending: usize = app.redis.clone().hlen(&keys.pending).await.unwrap();
    assert_eq!(pending, 3, "no order of an unsettled entry is forgotten");

    sqlx::query("DROP TRIGGER carol_fails ON orders")
        .execute(&app.db)
        .await
        .unwrap();
    persister.try_execute_task().await.unwrap();

    assert_eq!(buyers_in_postgres(&app).await, ["alice", "carol"]);
    assert_eq!(dead_letters(&app).await, ["mallory"]);
    assert_eq!(delivered_unacknowledged(&app, &keys.orders).await, 0);
    let length: usize = app.redis.clone().xlen(&keys.orders).await.unwrap();
    assert_eq!(length, 0);
    let pending: Vec<String> = app.redis.clone().hvals(&keys.pending).await.unwrap();
    assert_eq!(
        pending.len(),
        1,
        "mallory's order is accepted and not in Postgres"
    );
    assert!(pending[0].starts_with("mallory\t"), "{pending:?}");
    let listed = app
        .admin_get(&format!("/admin/sales/{SALE}/dead-letters"))
        .await;
    let listed: serde_json::Value = listed.json().await.unwrap();
    assert_eq!(listed["dead_letters"][0]["replayable"], true);
}
