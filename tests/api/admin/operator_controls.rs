//! Pause, resume and end, one call at a time: what buyers get on a sale this instance believes
//! sold out, replays while paused, ending twice, unknown and malformed ids, and a pause that
//! survives Redis losing the sale.
use crate::helpers::{assert_problem, spawn_app};
use redis::AsyncCommands;
use serde_json::{Value, json};

#[tokio::test]
async fn a_sale_believed_sold_out_answers_paused_while_paused_and_ended_once_ended() {
    let app = spawn_app().await;
    app.create_sale("one", 1, json!({})).await;
    assert_eq!(
        app.order("one", json!({ "user_id": "a" })).await.status(),
        202
    );
    let sold_out = app.order("one", json!({ "user_id": "b" })).await;
    assert_problem(sold_out, 409, "sold_out").await;

    let response = app.admin_post("/admin/sales/one/pause", &json!({})).await;
    assert_eq!(response.status(), 200);

    // The persister's acknowledgement changes the stream and pending keys: let it finish first.
    app.wait_until_persisted("one").await;
    let before = app.redis_snapshot("one").await;
    let response = app.order("one", json!({ "user_id": "c" })).await;
    assert_eq!(response.headers()["retry-after"], "5");
    assert_problem(response, 503, "sale_paused").await;
    assert_eq!(
        app.redis_snapshot("one").await,
        before,
        "a paused attempt wrote"
    );
    let public: Value = app.get("/api/sales/one").await.json().await.unwrap();
    assert_eq!(public["state"], "paused");
    assert_eq!(app.admin_sale("one").await["state"], "paused");

    assert_eq!(
        app.admin_post("/admin/sales/one/resume", &json!({}))
            .await
            .status(),
        200
    );
    let response = app.order("one", json!({ "user_id": "c" })).await;
    assert_problem(response, 409, "sold_out").await;

    assert_eq!(
        app.admin_post("/admin/sales/one/end", &json!({}))
            .await
            .status(),
        200
    );
    let response = app.order("one", json!({ "user_id": "c" })).await;
    assert_problem(response, 409, "sale_ended").await;
}

#[tokio::test]
async fn while_paused_a_replay_gets_its_original_order_and_a_new_key_takes_nothing() {
    let app = spawn_app().await;
    app.create_sale("replay", 10, json!({})).await;
    let body = json!({ "user_id": "a" });
    let first = app.order_with_key("replay", body.clone(), Some("k1")).await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    app.admin_post("/admin/sales/replay/pause", &json!({}))
        .await;

    let again = app.order_with_key("replay", body, Some("k1")).await;
    assert_eq!(again.status(), 202);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other = app
        .order_with_key("replay", json!({ "user_id": "b" }), Some("k2"))
        .await;
    assert_problem(other, 503, "sale_paused").await;
    assert_eq!(app.stock_left("replay").await, 9);
}

#[tokio::test]
async fn ending_is_final_and_ending_again_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("fin", 10, json!({ "ends_at": "2999-01-01T00:00:00Z" }))
        .await;
    let first = app.admin_post("/admin/sales/fin/end", &json!({})).await;
    assert_eq!(first.status(), 200);
    let first: Value = first.json().await.unwrap();
    assert_eq!(first["state"], "ended");
    let ends_at = first["ends_at"].clone();
    assert_ne!(ends_at, "2999-01-01T00:00:00Z");
    let stored: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT ends_at FROM sales WHERE id = 'fin'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let redis_end: String = app
        .redis
        .clone()
        .hget(app.sale_keys("fin").sale, "ends_at")
        .await
        .unwrap();
    assert_eq!(stored.timestamp_millis().to_string(), redis_end);

    let second = app.admin_post("/admin/sales/fin/end", &json!({})).await;
    assert_eq!(second.status(), 200);
    assert_eq!(second.json::<Value>().await.unwrap()["ends_at"], ends_at);
    let resumed = app.admin_post("/admin/sales/fin/resume", &json!({})).await;
    assert_eq!(resumed.json::<Value>().await.unwrap()["state"], "ended");
    assert_problem(
        app.order("fin", json!({ "user_id": "a" })).await,
        409,
        "sale_ended",
    )
    .await;
}

#[tokio::test]
async fn ending_an_upcoming_sale_closes_it_before_it_opens() {
    let app = spawn_app().await;
    app.create_sale("later", 10, json!({ "starts_at": "2999-01-01T00:00:00Z" }))
        .await;
    let ended: Value = app
        .admin_post("/admin/sales/later/end", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ended["state"], "ended");
    assert_problem(
        app.order("later", json!({ "user_id": "a" })).await,
        409,
        "sale_ended",
    )
    .await;
}

#[tokio::test]
async fn controls_on_unknown_or_malformed_sales_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    for action in ["pause", "resume", "end"] {
        let unknown = app
            .admin_post(&format!("/admin/sales/nope/{action}"), &json!({}))
            .await;
        assert_problem(unknown, 404, "sale_not_found").await;
        let malformed = app
            .admin_post(&format!("/admin/sales/bad%20id/{action}"), &json!({}))
            .await;
        assert_problem(malformed, 400, "invalid_request").await;
        let wrong_method = app.admin_get(&format!("/admin/sales/nope/{action}")).await;
        assert_problem(wrong_method, 405, "method_not_allowed").await;
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM sales")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
}

#[tokio::test]
async fn a_pause_survives_redis_losing_the_sale_and_a_preload() {
    let app = spawn_app().await;
    app.create_sale("lost", 10, json!({})).await;
    app.order("lost", json!({ "user_id": "a" })).await;
    app.wait_until_persisted("lost").await;
    app.admin_post("/admin/sales/lost/pause", &json!({})).await;
    let keys = app.sale_keys("lost");
    let _: () = app.redis.clone().del(keys.all().as_slice()).await.unwrap();
    assert_eq!(app.admin_sale("lost").await["state"], "paused");

    let preloaded = app
        .admin_post("/admin/sales/lost/preload", &json!({}))
        .await;
    let preloaded: Value = preloaded.json().await.unwrap();
    assert_eq!(preloaded["preload"], "loaded");
    assert_eq!(preloaded["state"], "paused");
    assert_eq!(preloaded["stock_left"], 9);
    assert_problem(
        app.order("lost", json!({ "user_id": "b" })).await,
        503,
        "sale_paused",
    )
    .await;
    assert_eq!(app.stock_left("lost").await, 9);

    let kept = app
        .admin_post("/admin/sales/lost/preload", &json!({}))
        .await;
    assert_eq!(kept.json::<Value>().await.unwrap()["state"], "paused");
    app.admin_post("/admin/sales/lost/resume", &json!({})).await;
    assert_eq!(
        app.order("lost", json!({ "user_id": "b" })).await.status(),
        202
    );
}

#[tokio::test]
async fn ending_a_sale_redis_lost_records_the_end_and_a_preload_restores_it_ended() {
    let app = spawn_app().await;
    app.create_sale("gone", 10, json!({})).await;
    let keys = app.sale_keys("gone");
    let _: () = app.redis.clone().del(keys.all().as_slice()).await.unwrap();

    let ended = app.admin_post("/admin/sales/gone/end", &json!({})).await;
    assert_eq!(ended.status(), 200);
    let ended: Value = ended.json().await.unwrap();
    assert_eq!(
        (ended["state"].as_str(), ended["loaded"].as_bool()),
        (Some("ended"), Some(false))
    );
    assert!(
        !app.redis
            .clone()
            .exists::<_, bool>(&keys.sale)
            .await
            .unwrap()
    );

    let preloaded: Value = app
        .admin_post("/admin/sales/gone/preload", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(preloaded["state"], "ended");
    assert_eq!(preloaded["ends_at"], ended["ends_at"]);
    assert_problem(
        app.order("gone", json!({ "user_id": "a" })).await,
        409,
        "sale_ended",
    )
    .await;
}
