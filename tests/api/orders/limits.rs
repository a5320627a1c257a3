//! Asking for too much: over the per-buyer limit or over what is left, refused with nothing taken.
use crate::helpers::{assert_problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn asking_for_more_than_the_limit_at_once_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("limit3", 100, json!({ "per_user_limit": 3 }))
        .await;
    assert_eq!(
        app.order("limit3", json!({ "user_id": "u", "quantity": 2 }))
            .await
            .status(),
        202
    );
    // The persister's acknowledgement changes the stream and pending keys: let it finish first.
    app.wait_until_persisted("limit3").await;
    let before = app.redis_snapshot("limit3").await;

    for quantity in [2, 4] {
        let response = app
            .order("limit3", json!({ "user_id": "u", "quantity": quantity }))
            .await;
        assert_eq!(response.status(), 409);
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "purchase_limit_exceeded");
    }
    assert_eq!(app.redis_snapshot("limit3").await, before);
}

#[tokio::test]
async fn asking_for_more_than_is_left_is_insufficient_stock_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("few", 3, json!({ "per_user_limit": 10 }))
        .await;
    let before = app.redis_snapshot("few").await;

    let response = app
        .order("few", json!({ "user_id": "u", "quantity": 4 }))
        .await;

    assert_problem(response, 409, "insufficient_stock").await;
    assert_eq!(app.redis_snapshot("few").await, before);
    let response = app
        .order("few", json!({ "user_id": "u", "quantity": 3 }))
        .await;
    assert_eq!(response.status(), 202);
}
