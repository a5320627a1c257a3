//! `FLASHSALE_ADMIN_LISTEN`: the admin API and the metrics on their own address, apart from the
//! public one.
use crate::helpers::{ADMIN_TOKEN, assert_problem, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn with_an_admin_listener_each_address_serves_only_its_own_routes() {
    let app = spawn_app_with(|s| s.admin_listen = Some("127.0.0.1:0".into())).await;
    assert_ne!(app.admin_address, app.address);
    assert_eq!(app.create_sale("apart", 3, json!({})).await.status(), 201);

    assert_eq!(
        app.order("apart", json!({ "user_id": "u1" }))
            .await
            .status(),
        202
    );
    let public = |path: &str| app.http.get(format!("{}{path}", app.address));
    let admin = |path: &str| app.http.get(format!("{}{path}", app.admin_address));
    for path in ["/admin/sales/apart", "/metrics", "/admin/sales"] {
        let response = public(path).bearer_auth(ADMIN_TOKEN).send().await.unwrap();
        assert_problem(response, 404, "not_found").await;
    }
    let create_on_public = app
        .http
        .post(format!("{}/admin/sales", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "id": "sneaky", "stock": 1 }))
        .send()
        .await
        .unwrap();
    assert_problem(create_on_public, 404, "not_found").await;
    assert_problem(
        app.admin_get("/admin/sales/sneaky").await,
        404,
        "sale_not_found",
    )
    .await;

    let order_on_admin = app
        .http
        .post(format!("{}/api/sales/apart/orders", app.admin_address))
        .json(&json!({ "user_id": "u2" }))
        .send()
        .await
        .unwrap();
    assert_problem(order_on_admin, 404, "not_found").await;
    assert_problem(
        admin("/api/sales/apart").send().await.unwrap(),
        404,
        "not_found",
    )
    .await;

    let view = app.admin_sale("apart").await;
    assert_eq!(view["reserved"], 1, "{view}");
    let metrics = admin("/metrics").send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    for path in ["/livez", "/readyz"] {
        assert_eq!(public(path).send().await.unwrap().status(), 200, "{path}");
        assert_eq!(admin(path).send().await.unwrap().status(), 200, "{path}");
    }
}
