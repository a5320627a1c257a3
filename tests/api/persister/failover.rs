//! Postgres refusing writes for a while (a failover leaves it read-only, a migration holds a
//! lock) is waited out, never buried: every 202 ends in Postgres once it passes, and the stall
//! shows in `/readyz` and `/metrics` meanwhile.
use crate::helpers::{TestApp, postgres_admin, spawn_app};
use futures::future::join_all;
use redis::AsyncCommands;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use std::time::{Duration, Instant};

/// Sets a default for every new session of the test's database, and ends the sessions open,
/// so that the app's pools reconnect with it.
async fn set_database_default(app: &TestApp, setting: &str) {
    let mut admin = postgres_admin().await;
    let name = &app.database_name;
    admin
        .execute(AssertSqlSafe(format!(
            r#"ALTER DATABASE "{name}" SET {setting}"#
        )))
        .await
        .unwrap();
    admin
        .execute(AssertSqlSafe(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        )))
        .await
        .unwrap();
}

async fn buy_in_waves(app: &TestApp, sale: &str, buyers: usize, waves: usize, over: Duration) {
    for wave in 0..waves {
        let orders = (wave * buyers / waves..(wave + 1) * buyers / waves)
            .map(|n| app.order(sale, json!({ "user_id": format!("b{n}") })));
        let statuses: Vec<u16> = join_all(orders)
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect();
        assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
        tokio::time::sleep(over / waves as u32).await;
    }
}

async fn dead_letters(app: &TestApp, sale: &str) -> usize {
    app.redis
        .clone()
        .xlen(app.sale_keys(sale).dead_letters)
        .await
        .unwrap()
}

/// Makes the database read-only for `read_only_for` while `buyers` buy in waves.
async fn read_only_postgres_under_load(buyers: usize, read_only_for: Duration) {
    let app = spawn_app().await;
    app.create_sale("failover", buyers as i64, json!({})).await;

    set_database_default(&app, "default_transaction_read_only = on").await;
    // Bursts of 40 spread over the window: buying goes on all through it.
    buy_in_waves(&app, "failover", buyers, buyers / 40, read_only_for).await;

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "Postgres answers reads: still ready");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["persister"]["last_error"], "25006", "{body}");
    assert_eq!(body["status"], "degraded", "{body}");
    let stalled = body["persister"]["stalled_seconds"].as_f64().unwrap();
    assert!(stalled >= 1.0, "the stall is reported: {body}");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"flashsale_persister_last_error{kind="25006"} 1"#),
        "{metrics}"
    );
    assert_eq!(app.orders_in_postgres("failover").await.len(), 0);
    assert_eq!(dead_letters(&app, "failover").await, 0, "nothing is buried");
    set_database_default(&app, "default_transaction_read_only = off").await;

    let sale = app.wait_until_persisted("failover").await;

    assert_eq!(sale["confirmed"], buyers);
    assert_eq!(sale["dead_letters"], 0);
    assert_eq!(app.orders_in_postgres("failover").await.len(), buyers);
    assert_eq!(dead_letters(&app, "failover").await, 0);
    // A loop that failed may sleep out its backoff (at most 5 s) before it succeeds again.
    let started = Instant::now();
    let body = loop {
        let body: Value = app.get("/readyz").await.json().await.unwrap();
        if body["persister"]["stalled_seconds"] == 0.0 || started.elapsed() > STALL_ENDS_WITHIN {
            break body;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(body["persister"]["stalled_seconds"], 0.0, "{body}");
    assert_eq!(
        body["persister"]["last_error"], "25006",
        "the last error is kept"
    );
}

/// The longest retry backoff, and a margin.
const STALL_ENDS_WITHIN: Duration = Duration::from_secs(7);

#[tokio::test]
async fn orders_accepted_while_postgres_is_read_only_are_persisted_once_it_is_writable_again() {
    read_only_postgres_under_load(200, Duration::from_secs(10)).await;
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn a_thirty_second_read_only_postgres_under_load_buries_nothing() {
    read_only_postgres_under_load(3_000, Duration::from_secs(30)).await;
}

#[tokio::test]
async fn a_lock_held_past_the_persisters_lock_timeout_is_waited_out_not_buried() {
    let app = spawn_app().await;
    app.create_sale("locked", 20, json!({})).await;
    set_database_default(&app, "lock_timeout = '100ms'").await;
    // A migration takes the orders table for a few seconds.
    let mut migration = PgConnection::connect(&app.settings.database_url)
        .await
        .unwrap();
    migration.execute("BEGIN").await.unwrap();
    migration
        .execute("LOCK TABLE orders IN ACCESS EXCLUSIVE MODE")
        .await
        .unwrap();

    buy_in_waves(&app, "locked", 20, 1, Duration::from_secs(3)).await;
    let body: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(body["persister"]["last_error"], "55P03", "{body}");
    assert_eq!(dead_letters(&app, "locked").await, 0, "nothing is buried");
    migration.execute("COMMIT").await.unwrap();

    let sale = app.wait_until_persisted("locked").await;

    assert_eq!(sale["confirmed"], 20);
    assert_eq!(sale["dead_letters"], 0);
    assert_eq!(app.orders_in_postgres("locked").await.len(), 20);
}
