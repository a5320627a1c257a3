//! Reconcile while the persister drains a sold-out sale's backlog.
use crate::helpers::{ADMIN_TOKEN, spawn_app_with};
use flashsale::metrics::Metrics;
use flashsale::persister::Persister;
use flashsale::redis::RedisStore;
use futures::future::join_all;
use serde_json::{Value, json};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn reconciling_a_sold_out_sale_while_its_backlog_drains_changes_nothing() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("draining", 400, json!({})).await;
    // In waves of 10 at once: a group commit puts a wave's orders in one stream entry or a
    // few, so the backlog is at least 40 entries.
    for wave in 0..40 {
        let buyers = (0..10).map(|n| {
            let buyer = json!({ "user_id": format!("b{wave}-{n}") });
            app.order("draining", buyer)
        });
        let accepted = join_all(buyers).await;
        let statuses: Vec<u16> = accepted.iter().map(|r| r.status().as_u16()).collect();
        assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    }

    // A persister that moves the backlog an entry at a time, so reconcile runs mid-drain.
    let store = RedisStore::connect(&app.settings.redis_target(), &app.settings.redis_prefix)
        .await
        .unwrap();
    let mut settings = app.settings.persister.clone();
    settings.batch_size = 1;
    let shutdown = CancellationToken::new();
    let persisters = Persister::spawn_all(
        &store,
        &app.db,
        &settings,
        &Arc::new(Metrics::default()),
        &shutdown,
    );

    let mut reconciles = 0;
    let mut late_buyers = 0;
    loop {
        let reconciled: Value = app
            .http
            .post(format!("{}/admin/sales/draining/reconcile", app.address))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        reconciles += 1;
        assert_eq!(reconciled["action"], "none", "{reconciled}");
        let late = app
            .order(
                "draining",
                json!({ "user_id": format!("late{late_buyers}") }),
            )
            .await;
        late_buyers += 1;
        assert_eq!(late.status(), 409, "a buyer after the sell-out");
        if reconciled["after"]["pending"] == 0 {
            break;
        }
    }
    shutdown.cancel();
    for persister in persisters {
        persister.await.unwrap();
    }

    assert!(
        reconciles > 3,
        "the drain was over before reconcile could race it"
    );
    let sale = app.admin_sale("draining").await;
    assert_eq!(
        (sale["confirmed"].as_i64(), sale["rejected"].as_i64()),
        (Some(400), Some(0)),
        "{sale}"
    );
    assert_eq!(sale["stock_left"], 0);
}

#[tokio::test]
async fn reconciling_a_sale_while_buyers_buy_and_the_persister_writes_changes_nothing() {
    let app = spawn_app_with(|s| s.persister.batch_size = 5).await;
    app.create_sale("busy", 200, json!({})).await;

    let buyers =
        join_all((0..300).map(|n| app.order("busy", json!({ "user_id": format!("b{n}") }))));
    let reconciles = async {
        let mut actions = Vec::new();
        for _ in 0..15 {
            let reconciled: Value = app
                .admin_post("/admin/sales/busy/reconcile", &json!({}))
                .await
                .json()
                .await
                .unwrap();
            actions.push(reconciled["action"].clone());
        }
        actions
    };
    let (answers, actions) = tokio::join!(buyers, reconciles);

    assert!(actions.iter().all(|a| a == "none"), "{actions:?}");
    let statuses: Vec<u16> = answers.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 202).count(),
        200,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        100,
        "{statuses:?}"
    );
    let sale = app.wait_until_persisted("busy").await;
    assert_eq!(
        (sale["confirmed"].as_i64(), sale["rejected"].as_i64()),
        (Some(200), Some(0)),
        "{sale}"
    );
}
