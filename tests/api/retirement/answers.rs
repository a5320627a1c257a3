//! What buyers and operators get for a retired sale: the same answers, from Postgres.
use super::{retire_quickly, wait_until_retired};
use crate::helpers::{assert_problem, reconcile_check, spawn_app_with};
use flashsale::domain::SaleId;
use redis::AsyncCommands;
use serde_json::{Value, json};

#[tokio::test]
async fn a_retired_sale_is_answered_from_postgres_as_redis_answered_it() {
    let app = spawn_app_with(retire_quickly).await;
    app.create_sale("gone", 10, json!({ "per_user_limit": 2 }))
        .await;
    let first = app
        .order_with_key(
            "gone",
            json!({ "user_id": "ann", "quantity": 2 }),
            Some("k-1"),
        )
        .await;
    assert_eq!(first.status(), 202);
    let first: Value = first.json().await.unwrap();
    assert_eq!(
        app.order("gone", json!({ "user_id": "bob" }))
            .await
            .status(),
        202
    );
    let public_before: Value = app.get("/api/sales/gone").await.json().await.unwrap();
    app.admin_post("/admin/sales/gone/end", &json!({})).await;
    let ended: Value = app.get("/api/sales/gone").await.json().await.unwrap();

    let view = wait_until_retired(&app, "gone").await;

    let keys = app.sale_keys("gone");
    let mut redis = app.redis.clone();
    let ttl: i64 = redis.pttl(&keys.sale).await.unwrap();
    assert!(
        ttl <= 1_000,
        "the sale's keys expire within the retention: {ttl}"
    );
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    for key in [&keys.sale, &keys.buyers, &keys.idempotency, &keys.orders] {
        let exists: bool = redis.exists(key).await.unwrap();
        assert!(!exists, "{key} left Redis");
    }
    assert_eq!(view["stock_left"], 7, "{view}");
    assert_eq!(view["reserved"], 3);
    assert_eq!(view["confirmed"], 3);
    assert_eq!(view["loaded"], false);
    assert_eq!(app.admin_sale("gone").await, view);

    let public: Value = app.get("/api/sales/gone").await.json().await.unwrap();
    assert_eq!(
        public, ended,
        "the public view does not change when the sale retires"
    );
    assert_eq!(public["state"], "ended");
    assert_eq!(public["stock_left"], 7);
    assert_eq!(public_before["stock_left"], 7);
    let replay = app
        .order_with_key(
            "gone",
            json!({ "user_id": "ann", "quantity": 2 }),
            Some("k-1"),
        )
        .await;
    assert_eq!(replay.status(), 202);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay["order_id"], first["order_id"]);
    assert_eq!(replay["created_at"], first["created_at"]);
    let reused = app
        .order_with_key(
            "gone",
            json!({ "user_id": "ann", "quantity": 1 }),
            Some("k-1"),
        )
        .await;
    assert_problem(reused, 422, "idempotency_key_reused").await;
    let late = app.order("gone", json!({ "user_id": "carol" })).await;
    assert_problem(late, 409, "sale_ended").await;
    let order = app
        .get(&format!(
            "/api/sales/gone/orders/{}",
            first["order_id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(order.status(), 200);
    assert_problem(app.get("/api/sales/never").await, 404, "sale_not_found").await;
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok, "{report}");
    assert_eq!(app.orders_in_postgres("gone").await.len(), 2);
}

/// A preload brings a retired sale back into Redis (its keys lose their time to live, see
/// `scripts::load_sale`) and it is no longer recorded retired; still over, it retires again.
#[tokio::test]
async fn a_preloaded_retired_sale_is_served_from_redis_again_then_retires_again() {
    let app = spawn_app_with(|s| {
        retire_quickly(s);
        s.persister.retire_check_ms = 3_000;
    })
    .await;
    app.create_sale("back", 5, json!({})).await;
    assert_eq!(
        app.order("back", json!({ "user_id": "ann" }))
            .await
            .status(),
        202
    );
    app.admin_post("/admin/sales/back/end", &json!({})).await;
    wait_until_retired(&app, "back").await;
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;

    let preload = app
        .admin_post("/admin/sales/back/preload", &json!({}))
        .await;

    assert_eq!(preload.status(), 200);
    let view = app.admin_sale("back").await;
    assert_eq!(
        (view["loaded"].clone(), view["retired"].clone()),
        (json!(true), json!(false)),
        "{view}"
    );
    assert_eq!(view["stock_left"], 4, "{view}");
    let again = wait_until_retired(&app, "back").await;
    assert_eq!(again["stock_left"], 4, "{again}");
}

#[tokio::test]
async fn a_sale_with_a_dead_letter_or_an_unpaid_hold_stays_in_redis() {
    let app = spawn_app_with(retire_quickly).await;
    app.create_sale("held", 5, json!({ "payment_window_s": 3600 }))
        .await;
    assert_eq!(
        app.order("held", json!({ "user_id": "ann" }))
            .await
            .status(),
        202
    );
    app.create_sale("lettered", 5, json!({})).await;
    let keys = app.sale_keys("lettered");
    let _: String = app
        .redis
        .clone()
        .xadd(
            &keys.dead_letters,
            "*",
            &[("garbage", "yes"), ("reason", "malformed entry")],
        )
        .await
        .unwrap();
    app.create_sale("plain", 5, json!({})).await;
    for sale in ["held", "lettered", "plain"] {
        app.wait_until_persisted(sale).await;
        app.admin_post(&format!("/admin/sales/{sale}/end"), &json!({}))
            .await;
    }

    wait_until_retired(&app, "plain").await;

    for sale in ["held", "lettered"] {
        let view = app.admin_sale(sale).await;
        assert_eq!(
            (view["retired"].clone(), view["loaded"].clone()),
            (json!(false), json!(true)),
            "{view}"
        );
        let ttl: i64 = app
            .redis
            .clone()
            .pttl(&app.sale_keys(sale).sale)
            .await
            .unwrap();
        assert_eq!(ttl, -1, "{sale}");
    }
}

#[tokio::test]
async fn a_split_sale_retires_every_bucket_and_keeps_its_figures() {
    let app = spawn_app_with(retire_quickly).await;
    app.create_sale("split-gone", 40, json!({ "buckets": 4 }))
        .await;
    for n in 0..12 {
        let response = app
            .order("split-gone", json!({ "user_id": format!("u{n}") }))
            .await;
        assert_eq!(response.status(), 202);
    }
    app.wait_until_persisted("split-gone").await;
    app.admin_post("/admin/sales/split-gone/end", &json!({}))
        .await;
    let before = app.admin_sale("split-gone").await;

    let view = wait_until_retired(&app, "split-gone").await;

    let mut redis = app.redis.clone();
    for bucket in ["split-gone", "split-gone/1", "split-gone/2", "split-gone/3"] {
        let keys = app.keys.sale(&SaleId::parse_stored(bucket).unwrap());
        let ttl: i64 = redis.pttl(&keys.sale).await.unwrap();
        assert!(ttl <= 1_000, "{bucket}: {ttl}");
    }
    tokio::time::sleep(std::time::Duration::from_millis(1_200)).await;
    let after = app.admin_sale("split-gone").await;
    assert_eq!(after, view);
    for field in [
        "stock_left",
        "reserved",
        "confirmed",
        "stock_total",
        "state",
    ] {
        assert_eq!(
            after[field], before[field],
            "{field}: {before} then {after}"
        );
    }
    let late = app.order("split-gone", json!({ "user_id": "late" })).await;
    assert_problem(late, 409, "sale_ended").await;
}
