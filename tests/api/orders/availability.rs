//! Whether a sale sells: its window, unknown sales, sold out (answered from memory) and restocked.
use crate::helpers::{assert_problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn orders_outside_the_sale_window_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.create_sale("later", 10, json!({ "starts_at": "2999-01-01T00:00:00Z" }))
        .await;
    app.create_sale(
        "over",
        10,
        json!({ "starts_at": "2001-01-01T00:00:00Z", "ends_at": "2001-01-02T00:00:00Z" }),
    )
    .await;
    let before = (
        app.redis_snapshot("later").await,
        app.redis_snapshot("over").await,
    );

    let early = app.order("later", json!({ "user_id": "u" })).await;
    let late = app.order("over", json!({ "user_id": "u" })).await;

    assert_problem(early, 409, "sale_not_started").await;
    assert_problem(late, 409, "sale_ended").await;
    let after = (
        app.redis_snapshot("later").await,
        app.redis_snapshot("over").await,
    );
    assert_eq!(after, before);
    let upcoming: Value = app.get("/api/sales/later").await.json().await.unwrap();
    assert_eq!(upcoming["state"], "upcoming");
    let ended: Value = app.get("/api/sales/over").await.json().await.unwrap();
    assert_eq!(ended["state"], "ended");
}

#[tokio::test]
async fn buying_from_an_unknown_sale_is_not_found() {
    let app = spawn_app().await;

    let response = app.order("nope", json!({ "user_id": "u" })).await;

    assert_problem(response, 404, "sale_not_found").await;
}

#[tokio::test]
async fn a_restock_through_this_instance_reopens_a_sold_out_sale_at_once() {
    let app = crate::helpers::spawn_app_with(|s| s.sold_out_recheck_ms = 60_000).await;
    app.create_sale("again", 1, json!({})).await;
    assert_eq!(
        app.order("again", json!({ "user_id": "a" })).await.status(),
        202
    );
    assert_eq!(
        app.order("again", json!({ "user_id": "b" })).await.status(),
        409
    );

    let restocked = app
        .admin_post("/admin/sales/again/restock", &json!({ "quantity": 2 }))
        .await;
    assert_eq!(restocked.status(), 200);

    assert_eq!(
        app.order("again", json!({ "user_id": "b" })).await.status(),
        202
    );
    let sale: Value = app.get("/api/sales/again").await.json().await.unwrap();
    assert_eq!(
        (sale["stock_total"].as_i64(), sale["stock_left"].as_i64()),
        (Some(3), Some(1))
    );
}

#[tokio::test]
async fn a_sold_out_sale_is_answered_from_memory_until_the_recheck() {
    let app = crate::helpers::spawn_app_with(|s| s.sold_out_recheck_ms = 1_000).await;
    app.create_sale("gone", 1, json!({})).await;
    app.order("gone", json!({ "user_id": "a" })).await;
    assert_eq!(
        app.order("gone", json!({ "user_id": "b" })).await.status(),
        409
    );

    // Stock appears behind the instance's back (as if restocked through another instance):
    // within the recheck delay this instance still answers from memory.
    let _: () = redis::AsyncCommands::hincr(
        &mut app.redis.clone(),
        app.sale_keys("gone").sale,
        "stock_left",
        5,
    )
    .await
    .unwrap();

    let response = app.order("gone", json!({ "user_id": "c" })).await;
    assert_problem(response, 409, "sold_out").await;
    assert_eq!(app.stock_left("gone").await, 5);

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    assert_eq!(
        app.order("gone", json!({ "user_id": "c" })).await.status(),
        202
    );
    assert_eq!(app.stock_left("gone").await, 4);
}
