//! Every example in the document is compared with a real answer, and every real answer here is
//! validated against its documented schema.
//!
//! The examples tell one story, which this test replays: the admin creates the documented sale,
//! a buyer places the documented order, the sale and the order are read back, and a sold-out
//! sale refuses. Compared: the same keys at every level, the same JSON types, and the same
//! values except where they are generated (ids, timestamps, request ids).
use super::checker::Checker;
use super::{Answer, call, document};
use crate::helpers::{TestApp, spawn_app};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn every_example_matches_a_real_answer_and_every_answer_its_schema() {
    let app = spawn_app().await;
    let mut check = Checker::new(document(&app).await);

    let new_sale = check.request_example("NewSaleRequest");
    let sale = new_sale["id"].as_str().unwrap().to_owned();
    let created = call(&app, Method::POST, "/admin/sales", Some(&new_sale), true).await;
    check.example("post", "/admin/sales", &created);
    let order = check.request_example("OrderRequest");
    let orders = format!("/api/sales/{sale}/orders");
    let accepted = call(&app, Method::POST, &orders, Some(&order), false).await;
    check.example("post", "/api/sales/{sale_id}/orders", &accepted);
    let order_id = accepted.body["order_id"].as_str().unwrap();
    app.wait_until_persisted(&sale).await;
    let sold_out = sold_out_answer(&app, &order).await;
    check.example("post", "/api/sales/{sale_id}/orders", &sold_out);

    let admin_sale = format!("/admin/sales/{sale}");
    // (documented path, real path, with the admin token): the story's reads first.
    let reads = [
        ("/api/sales/{sale_id}", format!("/api/sales/{sale}"), false),
        (
            "/api/sales/{sale_id}",
            "/api/sales/no-such-sale".into(),
            false,
        ),
        (
            "/api/sales/{sale_id}/orders/{order_id}",
            format!("{orders}/{order_id}"),
            false,
        ),
        ("/admin/sales/{sale_id}", admin_sale.clone(), true),
        ("/admin/sales", "/admin/sales".into(), false),
        ("/livez", "/livez".into(), false),
        ("/healthz", "/healthz".into(), false),
    ];
    for (documented, path, admin) in reads {
        let answer = call(&app, Method::GET, &path, None, admin).await;
        check.example("get", documented, &answer);
    }

    // Every other operation once: its answer follows its schema.
    let hold = format!("{sale}/orders/{order_id}");
    let calls = [
        (
            "get",
            "/admin/sales",
            "/admin/sales?limit=1".to_owned(),
            None,
        ),
        ("get", "/readyz", "/readyz".into(), None),
        ("get", "/metrics", "/metrics".into(), None),
        (
            "get",
            "/admin/sales/{sale_id}/dead-letters",
            format!("{admin_sale}/dead-letters"),
            None,
        ),
        (
            "post",
            "/admin/sales/{sale_id}/dead-letters/replay",
            format!("{admin_sale}/dead-letters/replay"),
            None,
        ),
        (
            "post",
            "/admin/sales/{sale_id}/pause",
            format!("{admin_sale}/pause"),
            None,
        ),
        (
            "post",
            "/admin/sales/{sale_id}/resume",
            format!("{admin_sale}/resume"),
            None,
        ),
        (
            "post",
            "/admin/sales/{sale_id}/preload",
            format!("{admin_sale}/preload"),
            None,
        ),
        (
            "post",
            "/admin/sales/{sale_id}/reconcile",
            format!("{admin_sale}/reconcile"),
            None,
        ),
        (
            "post",
            "/admin/sales/{sale_id}/restock",
            format!("{admin_sale}/restock"),
            Some(json!({ "quantity": 5 })),
        ),
        // Not a hold: both ends of a hold refuse, with a documented problem.
        (
            "post",
            "/api/sales/{sale_id}/orders/{order_id}/cancel",
            format!("/api/sales/{hold}/cancel"),
            Some(json!({ "user_id": order["user_id"] })),
        ),
        (
            "post",
            "/admin/sales/{sale_id}/orders/{order_id}/pay",
            format!("/admin/sales/{hold}/pay"),
            Some(json!({ "payment_ref": "pay-1" })),
        ),
        (
            "post",
            "/admin/sales/{sale_id}/end",
            format!("{admin_sale}/end"),
            None,
        ),
    ];
    for (method, documented, path, body) in calls {
        let method_name = method.to_uppercase();
        let answer = call(
            &app,
            method_name.parse().unwrap(),
            &path,
            body.as_ref(),
            true,
        )
        .await;
        check.answer(method, documented, &answer);
    }

    check.all_compared();
}

/// The documented order, placed on a sale with no stock.
async fn sold_out_answer(app: &TestApp, order: &Value) -> Answer {
    let empty = json!({ "id": "empty", "stock": 0 });
    assert_eq!(
        call(app, Method::POST, "/admin/sales", Some(&empty), true)
            .await
            .status,
        201
    );
    call(
        app,
        Method::POST,
        "/api/sales/empty/orders",
        Some(order),
        false,
    )
    .await
}
