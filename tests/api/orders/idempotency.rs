//! Idempotency keys: a retry gets its original order back, a key reused by its buyer is
//! refused, and another buyer's use of the same key is an order of its own.
use crate::helpers::{TestApp, assert_problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn a_repeated_idempotency_key_returns_the_original_order_and_takes_nothing() {
    let app = spawn_app().await;
    app.create_sale("idem", 10, json!({ "per_user_limit": 5 }))
        .await;
    let body = json!({ "user_id": "carol", "quantity": 2 });

    let first = app
        .order_with_key("idem", body.clone(), Some("key-1"))
        .await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    let second = app
        .order_with_key("idem", body.clone(), Some("key-1"))
        .await;
    assert_eq!(second.status(), 202);
    let second: Value = second.json().await.unwrap();

    assert_eq!(first, second);
    assert_eq!(app.stock_left("idem").await, 8);
    let reused = app
        .order_with_key(
            "idem",
            json!({ "user_id": "carol", "quantity": 1 }),
            Some("key-1"),
        )
        .await;
    assert_problem(reused, 422, "idempotency_key_reused").await;
    assert_eq!(app.stock_left("idem").await, 8);
    let sale = app.wait_until_persisted("idem").await;
    assert_eq!(sale["confirmed"], 2);
}

#[tokio::test]
async fn a_retry_with_its_key_gets_its_order_back_even_after_the_sale_sold_out() {
    let app = spawn_app().await;
    app.create_sale("last-one", 1, json!({})).await;
    let body = json!({ "user_id": "erin" });
    let first: Value = app
        .order_with_key("last-one", body.clone(), Some("k"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        app.order("last-one", json!({ "user_id": "frank" }))
            .await
            .status(),
        409
    );

    let retry = app.order_with_key("last-one", body, Some("k")).await;

    assert_eq!(retry.status(), 202);
    assert_eq!(retry.json::<Value>().await.unwrap(), first);
}

/// The order id of a 202.
async fn accepted_order_id(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 202);
    let body: Value = response.json().await.unwrap();
    body["order_id"].as_str().unwrap().to_owned()
}

/// Each order of the sale in Postgres: buyer and idempotency key.
async fn stored_keys(app: &TestApp, sale: &str) -> Vec<(String, Option<String>)> {
    sqlx::query_as(
        "SELECT user_id, idempotency_key FROM orders WHERE sale_id = $1 ORDER BY user_id",
    )
    .bind(sale)
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn another_buyers_use_of_the_same_key_is_an_order_of_its_own() {
    let app = spawn_app().await;
    app.create_sale("shared", 10, json!({ "per_user_limit": 5 }))
        .await;
    let bob = json!({ "user_id": "bob", "quantity": 2 });
    let alice = json!({ "user_id": "alice", "quantity": 2 });

    let bobs = accepted_order_id(app.order_with_key("shared", bob.clone(), Some("k1")).await).await;
    let alices = accepted_order_id(app.order_with_key("shared", alice, Some("k1")).await).await;
    let bobs_retry = accepted_order_id(app.order_with_key("shared", bob, Some("k1")).await).await;
    let bob_other_quantity = app
        .order_with_key(
            "shared",
            json!({ "user_id": "bob", "quantity": 1 }),
            Some("k1"),
        )
        .await;

    assert_ne!(alices, bobs);
    assert_eq!(bobs_retry, bobs);
    assert_problem(bob_other_quantity, 422, "idempotency_key_reused").await;
    assert_eq!(app.stock_left("shared").await, 6);
    let sale = app.wait_until_persisted("shared").await;
    assert_eq!(sale["confirmed"], 4);
    let k1 = Some("k1".to_owned());
    assert_eq!(
        stored_keys(&app, "shared").await,
        [("alice".to_owned(), k1.clone()), ("bob".to_owned(), k1)]
    );
}
