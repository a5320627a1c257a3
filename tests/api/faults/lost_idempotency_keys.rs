//! Redis lost a sale and it was restored: a buyer's retry with its `Idempotency-Key` still gets
//! its original order (same id, nothing taken), whether the order was already in Postgres or
//! still waiting in Redis. Redis lost only the keys: Postgres confirms the buyer's first order
//! and stores the unrecognised retries `rejected`.
use crate::helpers::{TestApp, assert_problem, spawn_app, spawn_app_with};
use crate::persister::{drain, manual_persister};
use flashsale::persister::Tally;
use redis::AsyncCommands;
use serde_json::{Value, json};

async fn first_order(app: &TestApp, sale: &str, body: &Value) -> Value {
    let response = app.order_with_key(sale, body.clone(), Some("k1")).await;
    assert_eq!(response.status(), 202);
    response.json().await.unwrap()
}

/// Retries `body` with key `k1`: the original answer, with the stock left unchanged.
async fn assert_replayed(app: &TestApp, sale: &str, body: &Value, original: &Value) {
    let left = app.stock_left(sale).await;
    let retry = app.order_with_key(sale, body.clone(), Some("k1")).await;
    assert_eq!(retry.status(), 202);
    assert_eq!(&retry.json::<Value>().await.unwrap(), original);
    assert_eq!(app.stock_left(sale).await, left, "a replay took stock");
}

#[tokio::test]
async fn a_retry_after_redis_lost_a_persisted_sale_gets_its_original_order_from_postgres() {
    let app = spawn_app().await;
    app.create_sale("amnesiac", 10, json!({ "per_user_limit": 5 }))
        .await;
    let carol = json!({ "user_id": "carol", "quantity": 2 });
    let original = first_order(&app, "amnesiac", &carol).await;
    let dave = app.order("amnesiac", json!({ "user_id": "dave" })).await;
    assert_eq!(dave.status(), 202);
    app.wait_until_persisted("amnesiac").await;
    let stored: Vec<(String, Option<String>)> = sqlx::query_as(
        "SELECT user_id, idempotency_key FROM orders WHERE sale_id = 'amnesiac' ORDER BY user_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let expected = [("carol", Some("k1")), ("dave", None)];
    assert_eq!(
        stored,
        expected.map(|(u, k)| (u.to_owned(), k.map(str::to_owned)))
    );

    let keys = app.sale_keys("amnesiac");
    let _: () = app.redis.clone().del(&keys.all()).await.unwrap();
    let preload = app
        .admin_post("/admin/sales/amnesiac/preload", &json!({}))
        .await;
    assert_eq!(preload.json::<Value>().await.unwrap()["preload"], "loaded");

    assert_eq!(app.stock_left("amnesiac").await, 7);
    assert_replayed(&app, "amnesiac", &carol, &original).await;
    let other_quantity = app
        .order_with_key("amnesiac", json!({ "user_id": "carol" }), Some("k1"))
        .await;
    assert_problem(other_quantity, 422, "idempotency_key_reused").await;
    let sale = app.wait_until_persisted("amnesiac").await;
    assert_eq!(sale["confirmed"], 3);
    assert_eq!(app.orders_in_postgres("amnesiac").await.len(), 2);
}

#[tokio::test]
async fn a_retry_after_redis_lost_a_sale_whose_order_is_still_pending_gets_its_original_order() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("in-flight", 10, json!({ "per_user_limit": 5 }))
        .await;
    let carol = json!({ "user_id": "carol", "quantity": 2 });
    let original = first_order(&app, "in-flight", &carol).await;
    let keys = app.sale_keys("in-flight");
    // Redis lost the sale, its buyers and its keys, not the orders waiting for the persister.
    let lost = [&keys.sale, &keys.buyers, &keys.idempotency];
    let _: () = app.redis.clone().del(&lost).await.unwrap();

    let reconciled: Value = app
        .admin_post("/admin/sales/in-flight/reconcile", &json!({}))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(reconciled["action"], "restored", "{reconciled}");
    assert_eq!(reconciled["after"]["pending"], 2);
    assert_eq!(app.stock_left("in-flight").await, 8);
    assert_replayed(&app, "in-flight", &carol, &original).await;
}

#[tokio::test]
async fn retries_redis_no_longer_recognised_are_stored_rejected_and_the_first_order_stands() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("forgetful", 10, json!({ "per_user_limit": 5 }))
        .await;
    let carol = json!({ "user_id": "carol" });
    let keys = app.sale_keys("forgetful");
    let forget_keys = || async {
        let _: () = app.redis.clone().del(&keys.idempotency).await.unwrap();
    };
    let mut persister = manual_persister(&app, 30_000).await;

    // The first order and a retry Redis did not recognise are persisted in one batch...
    let first = first_order(&app, "forgetful", &carol).await;
    forget_keys().await;
    first_order(&app, "forgetful", &carol).await;
    let one_batch = drain(&mut persister).await;
    // ...and another unrecognised retry in a later one.
    forget_keys().await;
    first_order(&app, "forgetful", &carol).await;
    let later_batch = drain(&mut persister).await;

    assert_eq!((one_batch.confirmed, one_batch.rejected), (1, 1));
    assert_eq!(
        later_batch,
        Tally {
            confirmed: 0,
            rejected: 1,
            duplicates: 0
        }
    );
    let stored: Vec<(uuid::Uuid, String, Option<String>)> = sqlx::query_as(
        "SELECT order_id, status::text, idempotency_key FROM orders
         WHERE sale_id = 'forgetful' ORDER BY created_at, order_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let statuses: Vec<(&str, Option<&str>)> = stored
        .iter()
        .map(|(_, status, key)| (status.as_str(), key.as_deref()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("confirmed", Some("k1")),
            ("rejected", None),
            ("rejected", None)
        ]
    );
    assert_eq!(stored[0].0.to_string(), first["order_id"].as_str().unwrap());
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'forgetful'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 1);
}

#[tokio::test]
async fn a_sale_restored_while_a_retry_redis_did_not_recognise_is_pending_replays_the_first_order()
{
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("twice", 10, json!({ "per_user_limit": 5 }))
        .await;
    let carol = json!({ "user_id": "carol" });
    let keys = app.sale_keys("twice");
    let first = first_order(&app, "twice", &carol).await;
    for _ in 0..3 {
        let _: () = app.redis.clone().del(&keys.idempotency).await.unwrap();
        let retry = first_order(&app, "twice", &carol).await;
        assert_ne!(retry["order_id"], first["order_id"], "Redis lost the key");
    }
    let lost = [&keys.sale, &keys.buyers, &keys.idempotency];
    let _: () = app.redis.clone().del(&lost).await.unwrap();

    let preload = app
        .admin_post("/admin/sales/twice/preload", &json!({}))
        .await;

    assert_eq!(preload.json::<Value>().await.unwrap()["preload"], "loaded");
    assert_replayed(&app, "twice", &carol, &first).await;
}
