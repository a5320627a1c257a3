//! TLS to the managed services, for real: a Redis that listens on a TLS port only and a
//! Postgres that accepts `hostssl` only, both with a throwaway CA (`scripts/tls.sh up`, run by
//! `make test-tls`, which runs these ignored tests).
use crate::helpers::{ADMIN_TOKEN, settings_for};
use flashsale::configuration::Settings;
use flashsale::postgres::MIGRATOR;
use flashsale::startup::Application;
use flashsale_testkit::AdminClient;
use serde_json::json;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};
use std::path::PathBuf;
use std::time::Duration;

const NEEDS: &str = "needs the TLS services: make test-tls";

fn tls_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".services/tls")
        .join(name)
}

/// The TLS Postgres's database `database`; `tls` is what follows `sslmode=`.
fn postgres_url(database: &str, tls: &str) -> String {
    format!("postgres://postgres@127.0.0.1:5441/{database}?sslmode={tls}")
}

fn verified(database: &str) -> String {
    let ca = tls_file("ca.pem");
    postgres_url(
        database,
        &format!("verify-full&sslrootcert={}", ca.display()),
    )
}

/// Settings for the TLS services; the caller creates the database if it needs one.
fn tls_settings(database: &str) -> Settings {
    let mut settings = settings_for(verified(database));
    settings.redis_url = "rediss://127.0.0.1:6391/0".into();
    settings.redis_cluster_nodes = None;
    settings.redis_ca_file = Some(tls_file("ca.pem"));
    settings
}

async fn admin() -> PgConnection {
    PgConnection::connect(&verified("postgres"))
        .await
        .expect(NEEDS)
}

#[tokio::test]
#[ignore = "needs make test-tls"]
async fn orders_are_taken_through_tls_redis_and_persisted_through_tls_postgres() {
    let database = format!("flashsale_tls_{}", uuid::Uuid::new_v4().simple());
    let create = format!(r#"CREATE DATABASE "{database}""#);
    admin().await.execute(AssertSqlSafe(create)).await.unwrap();
    let settings = tls_settings(&database);
    let db = PgPool::connect(&settings.database_url).await.unwrap();
    MIGRATOR.run(&db).await.unwrap();
    let (encrypted,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&db)
            .await
            .unwrap();
    assert!(encrypted, "the test's own connection to Postgres uses TLS");

    let application = Application::build(settings).await.expect("the app builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let server = application.handle();
    let running = tokio::spawn(application.run_until_stopped());
    let admin_api = AdminClient::new(&address, ADMIN_TOKEN);
    let sale = json!({ "id": "tls", "name": "Over TLS", "stock": 5 });
    admin_api.post("/admin/sales", &sale).await.unwrap();
    let http = reqwest::Client::new();
    let mut accepted = 0;
    for buyer in 0..8 {
        let response = http
            .post(format!("{address}/api/sales/tls/orders"))
            .json(&json!({ "user_id": format!("buyer-{buyer}") }))
            .send()
            .await
            .unwrap();
        accepted += usize::from(response.status() == 202);
    }
    assert_eq!(accepted, 5, "every unit sold, none oversold");
    let view = admin_api
        .wait_until_persisted("tls", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(view["stock_left"], 0, "{view}");

    let orders: Vec<(String, String)> = sqlx::query_as(
        "SELECT user_id, status::text FROM orders WHERE sale_id = 'tls' ORDER BY user_id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert_eq!(orders.len(), 5, "{orders:?}");
    assert!(
        orders.iter().all(|(_, status)| status == "confirmed"),
        "{orders:?}"
    );

    server.stop(true).await;
    running.await.unwrap().expect("the app stops cleanly");
    db.close().await;
    let drop = format!(r#"DROP DATABASE "{database}" WITH (FORCE)"#);
    admin().await.execute(AssertSqlSafe(drop)).await.unwrap();
}

#[tokio::test]
#[ignore = "needs make test-tls"]
async fn postgres_is_refused_without_tls_or_with_a_certificate_it_cannot_verify() {
    admin().await;
    let other_ca = tls_file("other-ca.pem").display().to_string();
    for (url, expected) in [
        (postgres_url("postgres", "disable"), "no encryption"),
        (postgres_url("postgres", "verify-full"), "UnknownIssuer"),
        (
            postgres_url("postgres", &format!("verify-ca&sslrootcert={other_ca}")),
            "UnknownIssuer",
        ),
    ] {
        let mut settings = tls_settings("postgres");
        settings.database_url = url.clone();
        for pool in [settings.database_pool(), settings.persister_pool()] {
            let error = pool.unwrap().acquire().await.expect_err(&url).to_string();
            println!("{url}: {error}");
            assert!(error.contains(expected), "{url}: {error}");
        }
    }
}

#[tokio::test]
#[ignore = "needs make test-tls"]
async fn redis_is_refused_without_tls_or_with_a_certificate_it_cannot_verify() {
    let timeout = Some(Duration::from_secs(1));
    let mut trusted = tls_settings("postgres")
        .redis_target()
        .connect(timeout)
        .await;
    let pong: String = redis::cmd("PING")
        .query_async(trusted.as_mut().expect(NEEDS))
        .await
        .unwrap();
    assert_eq!(pong, "PONG");
    let cases = [
        ("redis://127.0.0.1:6391/0", None, ""),
        ("rediss://127.0.0.1:6391/0", None, "UnknownIssuer"),
        (
            "rediss://127.0.0.1:6391/0",
            Some(tls_file("other-ca.pem")),
            "UnknownIssuer",
        ),
    ];
    for (url, ca_file, expected) in cases {
        let mut settings = tls_settings("postgres");
        settings.redis_url = url.into();
        settings.redis_ca_file = ca_file;
        let connected = tokio::time::timeout(
            Duration::from_secs(30),
            settings.redis_target().connect(timeout),
        )
        .await
        .expect("a refused connection fails within 30 s");
        let error = connected.err().expect(url).to_string();
        println!("{url}: {error}");
        assert!(error.contains(expected), "{url}: {error}");
    }
}
