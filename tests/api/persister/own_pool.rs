//! The persister has its own Postgres pool: an API pool held to its last connection (slow
//! admin calls, a flood of lookups) does not delay persistence.
use crate::helpers::spawn_app_with;
use serde_json::{Value, json};
use sqlx::{Connection, Executor, PgConnection};
use std::time::{Duration, Instant};

#[tokio::test]
async fn orders_are_persisted_promptly_while_the_api_pool_is_exhausted() {
    let app = spawn_app_with(|s| s.db_max_connections = 1).await;
    app.create_sale("blocked", 5, json!({})).await;
    app.create_sale("flowing", 20, json!({})).await;
    // The API pool's only connection waits on this row lock inside a restock.
    let mut holder = PgConnection::connect(&app.settings.database_url)
        .await
        .unwrap();
    holder.execute("BEGIN").await.unwrap();
    holder
        .execute("SELECT 1 FROM sales WHERE id = 'blocked' FOR UPDATE")
        .await
        .unwrap();
    let restock = tokio::spawn({
        let request = app
            .http
            .post(format!("{}/admin/sales/blocked/restock", app.address))
            .bearer_auth(crate::helpers::ADMIN_TOKEN)
            .json(&json!({ "quantity": 1 }));
        async move { request.send().await.unwrap().status() }
    });
    let waiting_on_the_lock = "SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'";
    let started = Instant::now();
    while sqlx::query_scalar::<_, i64>(waiting_on_the_lock)
        .fetch_one(&app.db)
        .await
        .unwrap()
        == 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the restock never ran"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200, "buying goes on: still ready");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        (&ready["status"], &ready["postgres"]),
        (&json!("degraded"), &json!("down")),
        "the API pool is exhausted"
    );

    let started = Instant::now();
    for n in 0..20 {
        let response = app
            .order("flowing", json!({ "user_id": format!("b{n}") }))
            .await;
        assert_eq!(response.status(), 202);
    }
    while app.orders_in_postgres("flowing").await.len() < 20
        && started.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    assert_eq!(
        app.orders_in_postgres("flowing").await.len(),
        20,
        "persisted within 5 s while the API pool was held"
    );
    holder.execute("ROLLBACK").await.unwrap();
    assert_eq!(restock.await.unwrap(), 200);
    assert_eq!(app.wait_until_persisted("flowing").await["confirmed"], 20);
}
