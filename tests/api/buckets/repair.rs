//! Reconciling a split sale whose buckets drifted: a bucket restarted from older data (it
//! forgot orders Postgres holds), a move whose second step was lost (units in no bucket) and
//! one whose first step was lost (units in two). Each fails the check, and the repair makes
//! exactly what Postgres allows sellable again, no more.
use super::{BUCKETS, burst, create_split_sale, tally};
use crate::helpers::{TestApp, reconcile_check, spawn_app};
use flashsale::domain::SaleId;
use redis::AsyncCommands;
use serde_json::{Value, json};

/// 100 units, 40 sold to 40 buyers and persisted.
async fn sale_with_forty_sold(app: &TestApp, sale: &str) {
    create_split_sale(app, sale, 100, json!({})).await;
    let bodies = (0..40)
        .map(|n| json!({ "user_id": format!("{sale}-first-{n}") }))
        .collect();
    let (accepted, refused) = tally(&burst(app, sale, bodies).await);
    assert_eq!(accepted, 40, "{refused:?}");
    app.wait_until_persisted(sale).await;
}

/// The first bucket (after 0) holding `at_least` reserved units.
async fn bucket_with_reserved(app: &TestApp, sale: &str, at_least: i64) -> String {
    let sale = SaleId::parse(sale).unwrap();
    for bucket in 1..BUCKETS as u16 {
        let key = app.keys.sale(&sale.bucket(bucket)).sale;
        let reserved: i64 = app.redis.clone().hget(&key, "reserved").await.unwrap();
        if reserved >= at_least {
            return key;
        }
    }
    panic!("no bucket of {sale} holds {at_least} units");
}

async fn shift(app: &TestApp, key: &str, fields: &[(&str, i64)]) {
    for (field, by) in fields {
        let _: i64 = app.redis.clone().hincr(key, *field, *by).await.unwrap();
    }
}

/// Fails the check, reconciles, passes the check, and sells exactly `sellable` more.
async fn repaired_and_sells_exactly(app: &TestApp, sale: &str, sellable: i64) {
    let (ok, report) = reconcile_check(&app.settings);
    assert!(!ok, "the drift must fail the check: {report}");
    let reconciled = app
        .admin_post(&format!("/admin/sales/{sale}/reconcile"), &json!({}))
        .await;
    assert_eq!(reconciled.status(), 200);
    let reconciled: Value = reconciled.json().await.unwrap();
    assert_eq!(reconciled["action"], "reset", "{reconciled}");
    assert_eq!(reconciled["after"]["problems"], json!([]), "{reconciled}");
    assert_eq!(reconciled["after"]["stock_left"], sellable, "{reconciled}");
    let bodies = (0..sellable + 20)
        .map(|n| json!({ "user_id": format!("{sale}-late-{n}") }))
        .collect();
    let (accepted, _) = tally(&burst(app, sale, bodies).await);
    assert_eq!(accepted as i64, sellable);
    let view = app.wait_until_persisted(sale).await;
    assert_eq!(view["rejected"], 0, "nothing sold beyond the stock");
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok, "{report}");
}

#[tokio::test]
async fn a_bucket_that_forgot_orders_postgres_holds_stops_selling_their_units() {
    let app = spawn_app().await;
    sale_with_forty_sold(&app, "forgot").await;
    let bucket = bucket_with_reserved(&app, "forgot", 2).await;
    shift(&app, &bucket, &[("reserved", -2), ("stock_left", 2)]).await;

    repaired_and_sells_exactly(&app, "forgot", 60).await;
}

#[tokio::test]
async fn units_a_lost_give_left_in_no_bucket_are_given_back() {
    let app = spawn_app().await;
    sale_with_forty_sold(&app, "ungiven").await;
    let bucket = bucket_with_reserved(&app, "ungiven", 0).await;
    shift(&app, &bucket, &[("stock_total", -5), ("stock_left", -5)]).await;

    repaired_and_sells_exactly(&app, "ungiven", 60).await;
}

#[tokio::test]
async fn units_a_lost_take_left_in_two_buckets_are_taken_back() {
    let app = spawn_app().await;
    sale_with_forty_sold(&app, "twice").await;
    let bucket = bucket_with_reserved(&app, "twice", 0).await;
    shift(&app, &bucket, &[("stock_total", 5), ("stock_left", 5)]).await;

    repaired_and_sells_exactly(&app, "twice", 60).await;
}
