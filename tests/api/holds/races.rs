//! Holds ending under races: payments at the deadline, two instances sweeping, a sweeper
//! stopped between Postgres's record of an end and the return of its units.
use super::{buy, deadline_in, hold_sale, holds_app, pay, wait_until_swept};
use crate::helpers::{ServerProcess, reconcile_check, test_settings};
use futures::future::join_all;
use serde_json::json;
use std::time::Duration;

/// 500 holds end at one instant while the payment service pays 250 of them around it: each
/// payment answered 200 is `paid`, every other hold `expired`, and exactly the expired units are
/// back on sale.
#[tokio::test]
async fn at_the_deadline_exactly_one_of_pay_and_expire_wins_for_every_hold() {
    let app = holds_app().await;
    hold_sale(&app, "deadline", 500).await;
    let orders: Vec<String> = join_all((0..500).map(|n| {
        let app = &app;
        async move { buy(app, "deadline", &format!("b{n}")).await }
    }))
    .await;
    app.wait_until_persisted("deadline").await;
    deadline_in(&app, &orders, 1500).await;

    let payments = orders.iter().step_by(2).enumerate().map(|(n, order)| {
        let app = &app;
        async move {
            // Spread over 0..3 s: half before the deadline, half after, some at it.
            tokio::time::sleep(Duration::from_millis((n as u64 * 37) % 3000)).await;
            let (status, body) = pay(app, "deadline", order, &format!("pi_{n}")).await;
            assert!(
                status == 200 || (status == 409 && body["code"] == "order_expired"),
                "{status} {body}"
            );
            (order.clone(), status == 200)
        }
    });
    let answers = join_all(payments).await;
    let view = wait_until_swept(&app, "deadline").await;

    let paid_answers = answers.iter().filter(|(_, paid)| *paid).count() as i64;
    assert!(
        paid_answers > 0 && paid_answers < 250,
        "the race was not run: {paid_answers}"
    );
    assert_eq!(view["paid"], paid_answers);
    assert_eq!(view["expired"], 500 - paid_answers);
    assert_eq!(view["awaiting_payment"], 0);
    assert_eq!(
        view["stock_left"],
        500 - paid_answers,
        "exactly the expired units are back"
    );
    for (order, paid) in &answers {
        let status: String =
            sqlx::query_scalar("SELECT status::text FROM orders WHERE order_id = $1")
                .bind(order.parse::<uuid::Uuid>().unwrap())
                .fetch_one(&app.db)
                .await
                .unwrap();
        assert_eq!(status, if *paid { "paid" } else { "expired" });
    }
    let (ok, report) = reconcile_check(&app.settings);
    assert!(ok, "{report}");
}

/// Two processes sweep the same expired holds at once: each unit comes back once.
#[tokio::test]
async fn two_instances_sweeping_at_once_return_each_unit_once() {
    let (mut settings, _database) = test_settings().await;
    settings.persister.hold_sweep_ms = 20;
    let db = sqlx::PgPool::connect(&settings.database_url).await.unwrap();
    flashsale::postgres::MIGRATOR.run(&db).await.unwrap();
    let servers = join_all((0..2).map(|_| ServerProcess::start(&settings))).await;
    let admin =
        flashsale_testkit::AdminClient::new(&servers[0].address, crate::helpers::ADMIN_TOKEN);
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/admin/sales", servers[0].address))
        .bearer_auth(crate::helpers::ADMIN_TOKEN)
        .json(&json!({ "id": "swept", "stock": 300, "payment_window_s": 60 }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let attempts = (0..300).map(|n| {
        let http = http.clone();
        let url = format!("{}/api/sales/swept/orders", servers[n % 2].address);
        async move {
            let answer = http
                .post(url)
                .json(&json!({ "user_id": format!("b{n}") }))
                .send()
                .await;
            answer.unwrap().status().as_u16()
        }
    });
    assert!(join_all(attempts).await.iter().all(|status| *status == 202));
    admin
        .wait_until_persisted("swept", Duration::from_secs(30))
        .await
        .unwrap();
    sqlx::query("UPDATE orders SET expires_at = now() WHERE sale_id = 'swept'")
        .execute(&db)
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let view = loop {
        let view = admin.get("/admin/sales/swept").await.unwrap();
        let returned: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM orders WHERE sale_id = 'swept' AND returned_at IS NOT NULL",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if returned == 300 {
            break view;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (&view["expired"], &view["stock_left"], &view["reserved"]),
        (&json!(300), &json!(300), &json!(0)),
        "each unit back once"
    );
    drop(servers);
    db.close().await;
}

/// The state a sweeper killed between its two steps leaves (Postgres says expired, the units
/// are still taken in Redis, `returned_at` unset), found by the next sweep: returned once, and
/// later sweeps change nothing.
#[tokio::test]
async fn an_end_recorded_without_its_return_is_returned_once_by_the_next_sweep() {
    let app = crate::helpers::spawn_app_with(|s| s.persister.hold_sweep_ms = 3_600_000).await;
    hold_sale(&app, "cut", 3).await;
    for n in 0..3 {
        buy(&app, "cut", &format!("b{n}")).await;
    }
    app.wait_until_persisted("cut").await;
    sqlx::query(
        "WITH ended AS (UPDATE orders SET status = 'expired' WHERE sale_id = 'cut'
                        RETURNING quantity)
         UPDATE sales SET sold = sold - (SELECT SUM(quantity) FROM ended) WHERE id = 'cut'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(app.admin_sale("cut").await["stock_left"], 0);
    let (ok, _) = reconcile_check(&app.settings);
    assert!(
        ok,
        "an end not yet returned is consistent: its units are still taken"
    );

    let sweeper = crate::helpers::spawn_app_with(|s| {
        s.persister.hold_sweep_ms = 20;
        s.database_url = app.settings.database_url.clone();
        s.redis_prefix = app.settings.redis_prefix.clone();
    })
    .await;
    let view = wait_until_swept(&app, "cut").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let again = app.admin_sale("cut").await;
    assert_eq!(
        (&view["stock_left"], &view["expired"]),
        (&json!(3), &json!(3))
    );
    assert_eq!(again["stock_left"], 3, "later sweeps return nothing more");
    assert_eq!(again["reserved"], 0);
    drop(sweeper);
}

/// Each buyer pays or cancels the instant its 202 arrives, while the persister writes the holds:
/// a hold that reached Postgres between a refused transition and the lookup is tried again,
/// never answered `order_expired` inside its window.
#[tokio::test]
async fn a_pay_or_cancel_right_after_acceptance_is_never_refused_as_expired() {
    let app = holds_app().await;
    hold_sale(&app, "eager", 400).await;
    let ends = (0..400).map(|n| {
        let app = &app;
        async move {
            let user = format!("b{n}");
            let order = buy(app, "eager", &user).await;
            // `order_pending` (not yet in Postgres, with `Retry-After: 1`) is the contract's
            // answer when the persister is slower than the one-second wait, as on a loaded
            // machine: the caller retries, as a payment service would.
            for _ in 0..10 {
                let answer = match n % 2 {
                    0 => pay(app, "eager", &order, &format!("pi_{n}")).await,
                    _ => super::cancel(app, "eager", &order, &user).await,
                };
                if answer.1["code"] != "order_pending" {
                    return answer;
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
            panic!("order {order} still pending after 10 tries")
        }
    });
    let answers = join_all(ends).await;

    let refused: Vec<_> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert!(
        refused.is_empty(),
        "{} refused: {:?}",
        refused.len(),
        &refused[..refused.len().min(3)]
    );
    let view = wait_until_swept(&app, "eager").await;
    assert_eq!(
        (&view["paid"], &view["cancelled"], &view["stock_left"]),
        (&json!(200), &json!(200), &json!(200))
    );
}
