//! Operating a split sale: the views add the buckets up, reconcile checks them, a pause reaches
//! every bucket, a preload restores a sale Redis lost with each buyer in their home bucket, and
//! a restock reaches every bucket's share.
use super::{BUCKETS, burst, buyers_homed_in, create_split_sale, tally};
use crate::helpers::{reconcile_check, spawn_app};
use flashsale::domain::SaleId;
use redis::AsyncCommands;
use serde_json::{Value, json};

fn orders_of(buyers: &[String]) -> Vec<Value> {
    buyers
        .iter()
        .map(|user| json!({ "user_id": user }))
        .collect()
}

#[tokio::test]
async fn a_lost_split_sale_is_restored_by_preload_and_a_restock_sells_exactly_what_it_adds() {
    let app = spawn_app().await;
    create_split_sale(&app, "ops", 100, json!({})).await;
    let first: Vec<String> = (0..40).map(|n| format!("first-{n}")).collect();
    let (accepted, refused) = tally(&burst(&app, "ops", orders_of(&first)).await);
    assert_eq!(accepted, 40, "{refused:?}");
    let view = app.wait_until_persisted("ops").await;
    assert_eq!(
        (&view["stock_total"], &view["stock_left"], &view["reserved"]),
        (&json!(100), &json!(60), &json!(40))
    );
    let public: Value = app.get("/api/sales/ops").await.json().await.unwrap();
    assert_eq!(public["stock_left"], 60);
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok && report.contains("sale ops: ok"), "{report}");

    // Redis loses every bucket of the sale.
    let sale = SaleId::parse("ops").unwrap();
    for bucket in 0..BUCKETS as u16 {
        let keys = app.keys.sale(&sale.bucket(bucket));
        let _: () = app.redis.clone().del(&keys.all()).await.unwrap();
        let _: () = app.redis.clone().del(&keys.moves_in).await.unwrap();
    }
    let (ok, _) = reconcile_check(&app.settings);
    assert!(!ok, "a lost sale fails the check");
    let preloaded = app.admin_post("/admin/sales/ops/preload", &json!({})).await;
    assert_eq!(preloaded.status(), 200);
    assert_eq!(app.admin_sale("ops").await["stock_left"], 60);

    // Every earlier buyer is back at the limit in their home bucket.
    let again = burst(&app, "ops", orders_of(&first)).await;
    assert!(
        again
            .iter()
            .all(|(status, body)| *status == 409 && body["code"] == "purchase_limit_exceeded"),
        "{again:?}"
    );

    let restocked = app
        .admin_post("/admin/sales/ops/restock", &json!({ "quantity": 20 }))
        .await;
    assert_eq!(restocked.status(), 200);
    let restocked: Value = restocked.json().await.unwrap();
    assert_eq!(restocked["stock_total"], 120);
    assert_eq!(restocked["stock_left"], 80);
    let late = buyers_homed_in("late", &[3], 100);
    let (accepted, _) = tally(&burst(&app, "ops", orders_of(&late)).await);
    assert_eq!(
        accepted, 80,
        "exactly the stock left, all moved to one bucket"
    );
    let view = app.wait_until_persisted("ops").await;
    assert_eq!(view["confirmed"], 120);
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok && report.contains("sale ops: ok"), "{report}");
}

#[tokio::test]
async fn a_pause_reaches_every_bucket_and_a_resume_reopens_them() {
    let app = spawn_app().await;
    create_split_sale(&app, "held", 80, json!({})).await;
    let everyone: Vec<String> = (0..BUCKETS as u16)
        .flat_map(|bucket| buyers_homed_in(&format!("home{bucket}"), &[bucket], 2))
        .collect();

    let paused = app.admin_post("/admin/sales/held/pause", &json!({})).await;
    assert_eq!(paused.status(), 200);
    let answers = burst(&app, "held", orders_of(&everyone)).await;
    assert!(
        answers
            .iter()
            .all(|(status, body)| *status == 503 && body["code"] == "sale_paused"),
        "{answers:?}"
    );

    let resumed = app.admin_post("/admin/sales/held/resume", &json!({})).await;
    assert_eq!(resumed.status(), 200);
    let (accepted, refused) = tally(&burst(&app, "held", orders_of(&everyone)).await);
    assert_eq!(accepted, everyone.len(), "{refused:?}");
}
