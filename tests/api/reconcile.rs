//! Reconciliation: the invariant checker finds what broke, and the repair never makes more
//! sellable than is left.
use crate::helpers::{TestApp, reconcile_check, spawn_app};
use redis::AsyncCommands;
use serde_json::{Value, json};

async fn reconcile(app: &TestApp, sale: &str) -> Value {
    let response = app
        .admin_post(&format!("/admin/sales/{sale}/reconcile"), &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `flashsale reconcile --check` against the test's database and Redis prefix.
fn check_command(app: &TestApp) -> (bool, String) {
    reconcile_check(&app.settings)
}

async fn sale_with_orders(app: &TestApp, sale: &str) {
    app.create_sale(sale, 10, json!({ "per_user_limit": 3 }))
        .await;
    app.order(sale, json!({ "user_id": "a", "quantity": 3 }))
        .await;
    app.order(sale, json!({ "user_id": "b" })).await;
    app.wait_until_persisted(sale).await;
}

#[tokio::test]
async fn a_healthy_sale_passes_the_check_and_is_left_alone() {
    let app = spawn_app().await;
    sale_with_orders(&app, "healthy").await;

    let (ok, report) = check_command(&app);
    let reconciled = reconcile(&app, "healthy").await;

    assert!(ok, "{report}");
    assert!(report.contains("sale healthy: ok"), "{report}");
    assert_eq!(reconciled["action"], "none");
    assert_eq!(reconciled["found"]["problems"], json!([]));
    assert_eq!(reconciled["after"]["stock_left"], 6);
}

#[tokio::test]
async fn a_sale_redis_lost_fails_the_check_and_is_restored_from_postgres() {
    let app = spawn_app().await;
    sale_with_orders(&app, "vanished").await;
    let keys = app.sale_keys("vanished");
    let _: () = app.redis.clone().del(&keys.all()).await.unwrap();

    let (ok, report) = check_command(&app);
    assert!(!ok, "the check must fail: {report}");
    assert!(report.contains("Redis does not hold the sale"), "{report}");
    let reconciled = reconcile(&app, "vanished").await;

    assert_eq!(reconciled["action"], "restored");
    assert_eq!(reconciled["after"]["problems"], json!([]));
    assert_eq!(reconciled["after"]["stock_left"], 6);
    assert_eq!(
        app.order("vanished", json!({ "user_id": "a" }))
            .await
            .status(),
        409
    );
    assert!(check_command(&app).0);
}

#[tokio::test]
async fn counters_that_drifted_are_reset_to_what_is_really_left() {
    let app = spawn_app().await;
    sale_with_orders(&app, "drifted").await;
    // Redis believes 40 units are left, and forgot what it reserved.
    let _: () = app
        .redis
        .clone()
        .hset_multiple(
            app.sale_keys("drifted").sale,
            &[("stock_left", 40), ("reserved", 0)],
        )
        .await
        .unwrap();

    let (ok, report) = check_command(&app);
    assert!(!ok, "{report}");
    let reconciled = reconcile(&app, "drifted").await;

    assert_eq!(reconciled["action"], "reset");
    assert_eq!(reconciled["old_stock_left"], 40);
    assert_eq!(reconciled["new_stock_left"], 6);
    assert_eq!(reconciled["after"]["problems"], json!([]));
    assert_eq!(app.stock_left("drifted").await, 6);
    assert!(check_command(&app).0);
}

#[tokio::test]
async fn a_buyer_above_the_limit_in_postgres_fails_the_check() {
    let app = spawn_app().await;
    sale_with_orders(&app, "greedy").await;
    sqlx::query(
        "INSERT INTO orders (order_id, sale_id, user_id, quantity, status, created_at)
         VALUES (gen_random_uuid(), 'greedy', 'a', 1, 'confirmed', now())",
    )
    .execute(&app.db)
    .await
    .unwrap();

    let (ok, report) = check_command(&app);

    assert!(!ok, "{report}");
    assert!(
        report.contains("1 buyers above the per-user limit"),
        "{report}"
    );
    assert!(
        report.contains("Postgres sold 4 != confirmed, awaiting_payment and paid quantity 5"),
        "{report}"
    );
}
