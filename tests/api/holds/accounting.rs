//! The books of a sale selling holds: Redis losing the sale while holds are open, and a split
//! sale whose returns go back to the bucket they came from.
use super::{buy, cancel, deadline_in, hold_sale, holds_app, pay, wait_until_swept};
use crate::helpers::reconcile_check;
use flashsale::domain::{Buckets, SaleId, UserId};
use redis::AsyncCommands;
use serde_json::json;

/// Ten units: three held, one paid, two cancelled (returned), one expired whose return was cut
/// short, then Redis loses the sale. The restore counts what is held and what is not returned
/// yet as taken; the sweeper then returns the cut-short one into the restored sale.
#[tokio::test]
async fn a_sale_redis_lost_during_holds_is_rebuilt_with_exact_accounting() {
    let app = holds_app().await;
    hold_sale(&app, "books", 10).await;
    let mut orders = Vec::new();
    for n in 0..7 {
        orders.push(buy(&app, "books", &format!("b{n}")).await);
    }
    app.wait_until_persisted("books").await;
    assert_eq!(pay(&app, "books", &orders[0], "pi_0").await.0, 200);
    for n in [1, 2] {
        assert_eq!(
            cancel(&app, "books", &orders[n], &format!("b{n}")).await.0,
            200
        );
    }
    wait_until_swept(&app, "books").await;
    // Order 3 expired in Postgres; its units not returned yet (as after a crash).
    sqlx::query(
        "WITH ended AS (UPDATE orders SET status = 'expired' WHERE order_id = $1
                        RETURNING quantity)
         UPDATE sales SET sold = sold - (SELECT SUM(quantity) FROM ended) WHERE id = 'books'",
    )
    .bind(orders[3].parse::<uuid::Uuid>().unwrap())
    .execute(&app.db)
    .await
    .unwrap();
    let keys = app.sale_keys("books");
    let _: () = app.redis.clone().del(&keys.all()).await.unwrap();
    let _: () = app.redis.clone().del(&keys.returns).await.unwrap();

    let reconciled = app
        .admin_post("/admin/sales/books/reconcile", &json!({}))
        .await;
    assert_eq!(reconciled.status(), 200);
    let view = wait_until_swept(&app, "books").await;
    assert_eq!(
        (
            &view["paid"],
            &view["cancelled"],
            &view["expired"],
            &view["awaiting_payment"]
        ),
        (&json!(1), &json!(2), &json!(1), &json!(3))
    );
    assert_eq!(
        view["stock_left"],
        10 - 4,
        "held and paid units stay taken, the rest is back"
    );
    assert_eq!(view["reserved"], 4);
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok, "{report}");
    // The expired buyer's allowance is back too: they can buy again, once.
    buy(&app, "books", "b3").await;
    let again = app.order("books", json!({ "user_id": "b3" })).await;
    assert_eq!(again.status(), 409);
}

/// A split sale: a cancelled hold's unit goes back to its buyer's home bucket.
#[tokio::test]
async fn a_return_goes_back_to_the_bucket_it_came_from() {
    let app = holds_app().await;
    let created = app
        .create_sale(
            "split-holds",
            8,
            json!({ "payment_window_s": 60, "buckets": 4 }),
        )
        .await;
    assert_eq!(created.status(), 201);
    let order = buy(&app, "split-holds", "alice").await;
    app.wait_until_persisted("split-holds").await;
    let home = Buckets::parse(4)
        .unwrap()
        .home(&UserId::parse("alice".to_owned()).unwrap());
    let bucket = app
        .keys
        .sale(&SaleId::parse("split-holds").unwrap().bucket(home))
        .sale;
    let left_before: i64 = app.redis.clone().hget(&bucket, "stock_left").await.unwrap();

    deadline_in(&app, std::slice::from_ref(&order), 0).await;
    let view = wait_until_swept(&app, "split-holds").await;

    let left_after: i64 = app.redis.clone().hget(&bucket, "stock_left").await.unwrap();
    assert_eq!(left_after, left_before + 1);
    assert_eq!(
        (&view["expired"], &view["stock_left"]),
        (&json!(1), &json!(8))
    );
}
