//! One hold at a time: paid, expired and bought again, cancelled, and refused as the contract
//! says at every other step.
use super::{buy, cancel, deadline_in, hold_sale, holds_app, pay, wait_until_swept};
use crate::helpers::{assert_problem, reconcile_check, spawn_app_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn an_expired_hold_is_bought_by_another_buyer_and_its_late_payment_refused() {
    let app = holds_app().await;
    hold_sale(&app, "one", 1).await;
    let first = buy(&app, "one", "first").await;
    app.wait_until_persisted("one").await;
    let order: Value = app
        .get(&format!("/api/sales/one/orders/{first}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "awaiting_payment");
    let created = chrono::DateTime::parse_from_rfc3339(order["created_at"].as_str().unwrap());
    let expires = chrono::DateTime::parse_from_rfc3339(order["expires_at"].as_str().unwrap());
    assert_eq!((expires.unwrap() - created.unwrap()).num_seconds(), 60);
    let second = app.order("one", json!({ "user_id": "second" })).await;
    assert_problem(second, 409, "sold_out").await;

    deadline_in(&app, std::slice::from_ref(&first), 0).await;
    let view = wait_until_swept(&app, "one").await;
    assert_eq!(
        (&view["expired"], &view["stock_left"]),
        (&json!(1), &json!(1))
    );
    let (status, problem) = pay(&app, "one", &first, "pi_late").await;
    assert_eq!((status, &problem["code"]), (409, &json!("order_expired")));
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for line in [
        "flashsale_hold_transitions_total{status=\"expired\"} 1",
        "flashsale_hold_transitions_total{status=\"returned\"} 1",
        "flashsale_hold_sweep_lag_seconds 0.0",
    ] {
        assert!(metrics.contains(line), "{line} not in {metrics}");
    }
    // This instance remembered `sold_out`: it notices the returned unit at its re-check.
    let started = Instant::now();
    loop {
        let again = app.order("one", json!({ "user_id": "second" })).await;
        if again.status() == 202 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the unit never sold again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let view = app.wait_until_persisted("one").await;
    assert_eq!(
        (
            &view["awaiting_payment"],
            &view["expired"],
            &view["stock_left"]
        ),
        (&json!(1), &json!(1), &json!(0))
    );
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok, "{report}");
}

#[tokio::test]
async fn a_payment_is_final_and_repeats_only_with_its_own_reference() {
    let app = holds_app().await;
    hold_sale(&app, "paying", 2).await;
    let order = buy(&app, "paying", "payer").await;

    let (status, paid) = pay(&app, "paying", &order, "pi_1").await;
    assert_eq!((status, &paid["status"]), (200, &json!("paid")), "{paid}");
    assert_eq!(paid["payment_ref"], "pi_1");
    assert_eq!(
        pay(&app, "paying", &order, "pi_1").await,
        (200, paid.clone())
    );
    let (status, problem) = pay(&app, "paying", &order, "pi_2").await;
    assert_eq!((status, &problem["code"]), (409, &json!("order_paid")));
    let (status, problem) = cancel(&app, "paying", &order, "payer").await;
    assert_eq!((status, &problem["code"]), (409, &json!("order_paid")));
    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(pay(&app, "paying", &missing, "pi_3").await.0, 404);
    let (status, problem) = pay(&app, "paying", &order, "").await;
    assert_eq!((status, &problem["code"]), (400, &json!("invalid_request")));

    deadline_in(&app, std::slice::from_ref(&order), 0).await;
    let view = wait_until_swept(&app, "paying").await;
    assert_eq!((&view["paid"], &view["expired"]), (&json!(1), &json!(0)));
    assert_eq!(view["stock_left"], 1, "a paid hold keeps its unit");
}

#[tokio::test]
async fn a_cancel_returns_the_unit_once_and_the_buyer_at_the_limit_can_buy_again() {
    let app = holds_app().await;
    hold_sale(&app, "changed-mind", 5).await;
    let order = buy(&app, "changed-mind", "buyer").await;
    let over = app
        .order("changed-mind", json!({ "user_id": "buyer" }))
        .await;
    assert_problem(over, 409, "purchase_limit_exceeded").await;
    app.wait_until_persisted("changed-mind").await;

    let (status, problem) = cancel(&app, "changed-mind", &order, "someone-else").await;
    assert_eq!((status, &problem["code"]), (404, &json!("order_not_found")));
    let (status, cancelled) = cancel(&app, "changed-mind", &order, "buyer").await;
    assert_eq!((status, &cancelled["status"]), (200, &json!("cancelled")));
    assert_eq!(
        cancel(&app, "changed-mind", &order, "buyer").await,
        (200, cancelled)
    );
    let (status, problem) = pay(&app, "changed-mind", &order, "pi_x").await;
    assert_eq!((status, &problem["code"]), (409, &json!("order_cancelled")));

    let view = wait_until_swept(&app, "changed-mind").await;
    assert_eq!(
        (&view["cancelled"], &view["stock_left"], &view["reserved"]),
        (&json!(1), &json!(5), &json!(0)),
        "one return, however often cancelled"
    );
    buy(&app, "changed-mind", "buyer").await;
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok, "{report}");
}

#[tokio::test]
async fn a_hold_not_yet_in_postgres_is_pending_for_the_payment_service_and_the_buyer() {
    let app = spawn_app_with(|settings| settings.persister.enabled = false).await;
    hold_sale(&app, "unwritten", 1).await;
    let order = buy(&app, "unwritten", "buyer").await;

    let shown: Value = app
        .get(&format!("/api/sales/unwritten/orders/{order}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["status"], "pending");
    assert!(shown["expires_at"].is_string(), "{shown}");
    let response = app
        .http
        .post(format!(
            "{}/admin/sales/unwritten/orders/{order}/pay",
            app.address
        ))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .json(&json!({ "payment_ref": "pi_1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["retry-after"], "1");
    assert_problem(response, 409, "order_pending").await;
    let (status, problem) = cancel(&app, "unwritten", &order, "buyer").await;
    assert_eq!((status, &problem["code"]), (409, &json!("order_pending")));
}

#[tokio::test]
async fn an_order_of_a_sale_without_a_window_is_no_hold() {
    let app = holds_app().await;
    app.create_sale("final", 1, json!({})).await;
    let order = buy(&app, "final", "buyer").await;
    app.wait_until_persisted("final").await;

    let (status, problem) = pay(&app, "final", &order, "pi_1").await;
    assert_eq!(
        (status, &problem["code"]),
        (409, &json!("order_not_a_hold"))
    );
    let (status, problem) = cancel(&app, "final", &order, "buyer").await;
    assert_eq!(
        (status, &problem["code"]),
        (409, &json!("order_not_a_hold"))
    );
    for window in [json!(9), json!(86_401), json!("60")] {
        let refused = app
            .create_sale("bad-window", 1, json!({ "payment_window_s": window }))
            .await;
        assert_problem(refused, 400, "invalid_request").await;
    }
}
