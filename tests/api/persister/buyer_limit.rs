//! Postgres as the last guard of the per-user limit: a Redis that forgot its buyers' counters
//! (restarted from an older snapshot, failed over to a lagging replica) accepts a buyer past the
//! limit, and Postgres confirms exactly the limit and stores the rest `rejected`.
use super::manual_persister;
use crate::helpers::{TestApp, spawn_app_with};
use flashsale::persister::{ExecutionOutcome, Tally};
use redis::AsyncCommands;
use serde_json::{Value, json};

async fn buy(app: &TestApp, user: &str, quantity: i64) {
    let response = app
        .order("capped", json!({ "user_id": user, "quantity": quantity }))
        .await;
    assert_eq!(response.status(), 202, "Redis accepts {user} x{quantity}");
}

/// Redis forgets what every buyer bought, as after a restore from an older snapshot.
async fn forget_buyers(app: &TestApp) {
    let _: () = app
        .redis
        .clone()
        .del(app.sale_keys("capped").buyers)
        .await
        .unwrap();
}

#[tokio::test]
async fn postgres_confirms_a_buyer_only_up_to_the_limit_within_a_batch_and_across_batches() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("capped", 10, json!({ "per_user_limit": 2 }))
        .await;
    let mut persister = manual_persister(&app, 30_000).await;

    // One batch: greedy reaches the limit, Redis forgets, greedy buys one more.
    buy(&app, "greedy", 1).await;
    buy(&app, "greedy", 1).await;
    buy(&app, "modest", 1).await;
    forget_buyers(&app).await;
    buy(&app, "greedy", 1).await;
    let first = persister.try_execute_task().await.unwrap();
    // The next batch: Redis forgets again, greedy buys two more.
    forget_buyers(&app).await;
    buy(&app, "greedy", 2).await;
    let second = persister.try_execute_task().await.unwrap();

    let tally = |confirmed, rejected| {
        ExecutionOutcome::Persisted(Tally {
            confirmed,
            rejected,
            duplicates: 0,
        })
    };
    assert_eq!(first, tally(3, 1), "the batch's own orders count");
    assert_eq!(second, tally(0, 1), "committed orders count");
    let greedy: Vec<(i32, String)> = sqlx::query_as(
        "SELECT quantity, status::text FROM orders
         WHERE sale_id = 'capped' AND user_id = 'greedy' ORDER BY created_at, order_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let expected = [
        (1, "confirmed"),
        (1, "confirmed"),
        (1, "rejected"),
        (2, "rejected"),
    ];
    assert_eq!(greedy, expected.map(|(q, s)| (q, s.to_owned())));
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'capped'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        sold, 3,
        "sold is the confirmed quantity: greedy 2, modest 1"
    );
    let reconciled: Value = app
        .admin_post("/admin/sales/capped/reconcile", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reconciled["action"], "none", "{reconciled}");
    let found = &reconciled["found"];
    assert_eq!(found["problems"], json!([]), "{reconciled}");
    let counts = ["confirmed", "rejected", "reserved"].map(|field| found[field].as_i64());
    assert_eq!(counts, [Some(3), Some(3), Some(6)]);
    assert_eq!(found["buyers_over_limit"], 0);
}
