//! Faults against real processes. Quick variants run in `make test`; `make chaos` runs the long
//! ones (`#[ignore]`d here).
use crate::helpers::{
    ADMIN_TOKEN, RedisProcess, ServerProcess, TestApp, drop_database, spawn_app_with, test_settings,
};
use flashsale::db::MIGRATOR;
use flashsale_testkit::AdminClient;
use futures::future::join_all;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Fires `buyers` concurrent orders, kills the server with SIGKILL once `kill_after` of them
/// were accepted, restarts it, and checks that every 202 ends in Postgres exactly once and
/// every invariant holds.
async fn a_killed_server_loses_no_accepted_order(stock: i64, buyers: usize, kill_after: usize) {
    let (settings, database) = test_settings().await;
    let db = PgPool::connect(&settings.database_url).await.unwrap();
    MIGRATOR.run(&db).await.unwrap();
    let http = reqwest::Client::new();
    let mut server = ServerProcess::start(&settings).await;
    let created = http
        .post(format!("{}/admin/sales", server.address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "id": "crash", "stock": stock }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let url = format!("{}/api/sales/crash/orders", server.address);
    let accepted_so_far = Arc::new(AtomicUsize::new(0));
    let burst = join_all((0..buyers).map(|n| {
        let (http, url, counter) = (http.clone(), url.clone(), accepted_so_far.clone());
        async move {
            let response = http
                .post(url)
                .json(&json!({ "user_id": format!("b{n}") }))
                .send()
                .await;
            match response {
                Ok(response) if response.status() == 202 => {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let body: Value = response.json().await.ok()?;
                    Uuid::parse_str(body["order_id"].as_str()?).ok()
                }
                _ => None,
            }
        }
    }));
    let burst = tokio::spawn(burst);
    let started = Instant::now();
    while accepted_so_far.load(Ordering::SeqCst) < kill_after {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the burst never got going"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    server.kill();
    let accepted: Vec<Uuid> = burst.await.unwrap().into_iter().flatten().collect();
    assert!(
        accepted.len() < buyers.min(stock as usize),
        "the kill came after the burst: make kill_after smaller"
    );

    let server = ServerProcess::start(&settings).await;
    let sale = AdminClient::new(&server.address, ADMIN_TOKEN)
        .wait_until_persisted("crash", Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        sale["stock_left"].as_i64().unwrap() + sale["reserved"].as_i64().unwrap(),
        stock
    );

    let persisted: Vec<Uuid> =
        sqlx::query_scalar("SELECT order_id FROM orders WHERE order_id = ANY($1)")
            .bind(&accepted)
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        persisted.len(),
        accepted.len(),
        "an accepted order is missing"
    );
    assert_eq!(
        persisted.iter().collect::<HashSet<_>>().len(),
        accepted.len()
    );
    let check = std::process::Command::new(env!("CARGO_BIN_EXE_flashsale"))
        .args(["reconcile", "--check"])
        .env("DATABASE_URL", &settings.database_url)
        .env("REDIS_URL", &settings.redis_url)
        .env("FLASHSALE_REDIS_PREFIX", &settings.redis_prefix)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    drop(server);
    db.close().await;
    drop_database(&database).await;
}

#[tokio::test]
async fn a_server_killed_mid_burst_loses_no_accepted_order() {
    a_killed_server_loses_no_accepted_order(300, 600, 50).await;
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn a_server_killed_in_a_long_burst_loses_no_accepted_order() {
    a_killed_server_loses_no_accepted_order(5_000, 20_000, 2_000).await;
}

/// Restarts the app's Redis (AOF on) between two bursts, and once more during the second:
/// attempts while it is down get 503 with Retry-After, the app reconnects by itself (and
/// reloads its scripts), nothing is oversold, and every 202 reaches Postgres.
async fn redis_restarts_lose_and_oversell_nothing(stock: i64, per_burst: usize) {
    let mut redis = RedisProcess::start().await;
    let url = redis.url();
    let owned_app = spawn_app_with(|s| s.redis_url = url).await;
    let app = &owned_app;
    app.create_sale("restarted", stock, json!({})).await;
    // The order ids of the 202s, and every status.
    let burst = |from: usize| async move {
        let responses = join_all(
            (from..from + per_burst)
                .map(|n| app.order("restarted", json!({ "user_id": format!("b{n}") }))),
        )
        .await;
        let mut accepted = Vec::new();
        let mut statuses = Vec::new();
        for response in responses {
            statuses.push(response.status().as_u16());
            if response.status() == 202 {
                let body: Value = response.json().await.unwrap();
                accepted.push(Uuid::parse_str(body["order_id"].as_str().unwrap()).unwrap());
            }
        }
        (accepted, statuses)
    };
    let (mut accepted, _) = burst(0).await;

    redis.shutdown().await;
    let down = app.order("restarted", json!({ "user_id": "during" })).await;
    assert_eq!(down.status(), 503);
    assert_eq!(down.headers()["retry-after"], "1");
    redis.restart().await;
    wait_until_reconnected(app).await;

    let ((during, statuses), ()) = tokio::join!(burst(per_burst), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        redis.shutdown().await;
        redis.restart().await;
    });
    assert!(
        statuses.iter().all(|s| [202, 409, 503].contains(s)),
        "{statuses:?}"
    );
    accepted.extend(during);
    wait_until_reconnected(app).await;

    let sale = app.wait_until_persisted("restarted").await;
    let confirmed = sale["confirmed"].as_i64().unwrap();
    assert!(confirmed <= stock, "oversold: {confirmed} of {stock}");
    let persisted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE order_id = ANY($1)")
        .bind(&accepted)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        persisted,
        accepted.len() as i64,
        "an accepted order is missing"
    );
    assert_eq!(
        sale["stock_left"].as_i64().unwrap() + sale["reserved"].as_i64().unwrap(),
        stock
    );
}

async fn wait_until_reconnected(app: &TestApp) {
    let started = Instant::now();
    while app.get("/api/sales/restarted").await.status() != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the app never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redis_restarted_between_and_during_bursts_oversells_and_loses_nothing() {
    redis_restarts_lose_and_oversell_nothing(80, 60).await;
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn redis_restarted_during_long_bursts_oversells_and_loses_nothing() {
    redis_restarts_lose_and_oversell_nothing(3_000, 2_000).await;
}

#[tokio::test]
async fn after_redis_lost_everything_reconcile_rebuilds_the_sale_from_postgres() {
    let mut redis = RedisProcess::start_without_persistence().await;
    let url = redis.url();
    let owned_app = spawn_app_with(|s| s.redis_url = url).await;
    let app = &owned_app;
    app.create_sale("amnesia", 50, json!({ "per_user_limit": 2 }))
        .await;
    for n in 0..20 {
        let response = app
            .order("amnesia", json!({ "user_id": format!("b{n}") }))
            .await;
        assert_eq!(response.status(), 202);
    }
    app.wait_until_persisted("amnesia").await;

    redis.shutdown().await;
    redis.restart().await;
    let started = Instant::now();
    while app.get("/api/sales/amnesia").await.status() != 404 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the app never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lost = app.order("amnesia", json!({ "user_id": "b0" })).await;
    assert_eq!(lost.status(), 404, "a sale Redis lost cannot sell");

    let repaired = std::process::Command::new(env!("CARGO_BIN_EXE_flashsale"))
        .arg("reconcile")
        .env("DATABASE_URL", &app.settings.database_url)
        .env("REDIS_URL", &app.settings.redis_url)
        .env("FLASHSALE_REDIS_PREFIX", &app.settings.redis_prefix)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&repaired.stdout);
    assert!(repaired.status.success(), "{report}");
    assert!(report.contains("loaded into Redis again"), "{report}");

    let sale: Value = app.get("/api/sales/amnesia").await.json().await.unwrap();
    assert_eq!(sale["stock_left"], 30);
    let again = app
        .order("amnesia", json!({ "user_id": "b0", "quantity": 2 }))
        .await;
    assert_eq!(
        again.status(),
        409,
        "b0's earlier order still counts against the limit"
    );
    assert_eq!(
        app.order("amnesia", json!({ "user_id": "newcomer" }))
            .await
            .status(),
        202
    );
}
