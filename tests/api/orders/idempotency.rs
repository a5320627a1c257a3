//! Idempotency keys: a retry gets its original order back, a reused key is refused.
use crate::helpers::{assert_problem, spawn_app};
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
    let other_user = app
        .order_with_key(
            "idem",
            json!({ "user_id": "dave", "quantity": 2 }),
            Some("key-1"),
        )
        .await;
    assert_eq!(other_user.status(), 422);
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
