//! A real `kill -9` of the only instance while it sweeps thousands of expired holds: after a
//! restart, each hold's units have come back exactly once.
use crate::helpers::{ADMIN_TOKEN, ServerProcess, reconcile_check, test_settings};
use flashsale_testkit::AdminClient;
use futures::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};

const HOLDS: i64 = 2000;

#[tokio::test]
async fn a_sweeper_killed_mid_sweep_returns_every_unit_exactly_once_after_a_restart() {
    let (mut settings, _database) = test_settings().await;
    settings.persister.hold_sweep_ms = 10;
    let db = sqlx::PgPool::connect(&settings.database_url).await.unwrap();
    flashsale::postgres::MIGRATOR.run(&db).await.unwrap();
    let mut server = ServerProcess::start(&settings).await;
    let admin = AdminClient::new(&server.address, ADMIN_TOKEN);
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/admin/sales", server.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "id": "killed", "stock": HOLDS, "payment_window_s": 60 }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let url = format!("{}/api/sales/killed/orders", server.address);
    let statuses: Vec<u16> = futures::stream::iter(0..HOLDS)
        .map(|n| {
            let (http, url) = (http.clone(), url.clone());
            async move {
                let body = json!({ "user_id": format!("b{n}") });
                http.post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        })
        .buffer_unordered(256)
        .collect()
        .await;
    assert!(statuses.iter().all(|status| *status == 202));
    admin
        .wait_until_persisted("killed", Duration::from_secs(30))
        .await
        .unwrap();

    sqlx::query("UPDATE orders SET expires_at = now() WHERE sale_id = 'killed'")
        .execute(&db)
        .await
        .unwrap();
    // Killed as soon as the sweep has begun: some holds expired, most not returned yet.
    let started = Instant::now();
    while ended(&db).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the sweep never began"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    let (expired_at_kill, returned_at_kill) = (ended(&db).await, returned(&db).await);

    let server = ServerProcess::start(&settings).await;
    let started = Instant::now();
    while returned(&db).await < HOLDS {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never all returned"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let view = AdminClient::new(&server.address, ADMIN_TOKEN)
        .get("/admin/sales/killed")
        .await
        .unwrap();
    assert_eq!(
        (&view["expired"], &view["stock_left"], &view["reserved"]),
        (&json!(HOLDS), &json!(HOLDS), &json!(0)),
        "killed with {expired_at_kill} expired, {returned_at_kill} returned"
    );
    let (ok, report) = reconcile_check(&settings);
    assert!(ok, "{report}");
    drop(server);
    db.close().await;
}

async fn ended(db: &sqlx::PgPool) -> i64 {
    count(db, "status = 'expired'").await
}

async fn returned(db: &sqlx::PgPool) -> i64 {
    count(db, "returned_at IS NOT NULL").await
}

async fn count(db: &sqlx::PgPool, condition: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM orders WHERE sale_id = 'killed' AND {condition}");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .fetch_one(db)
        .await
        .unwrap()
}
