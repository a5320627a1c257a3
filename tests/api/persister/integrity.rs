//! An order's sale without a foreign key: a sale with orders can be neither deleted, renamed nor
//! truncated, and an order of a sale Postgres does not hold is never written.
use super::{buy, manual_persister};
use crate::helpers::spawn_app_with;
use redis::AsyncCommands;
use serde_json::json;

#[tokio::test]
async fn a_sale_with_orders_cannot_be_deleted_renamed_or_truncated() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("kept", 10, json!({})).await;
    app.create_sale("unsold", 10, json!({})).await;
    buy(&app, "kept", 2).await;
    super::drain(&mut manual_persister(&app, 30_000).await).await;
    assert_eq!(app.orders_in_postgres("kept").await.len(), 2);

    for statement in [
        "DELETE FROM sales WHERE id = 'kept'",
        "UPDATE sales SET id = 'renamed' WHERE id = 'kept'",
        "TRUNCATE sales CASCADE",
    ] {
        let refused = sqlx::query(statement).execute(&app.db).await.unwrap_err();
        let code = refused.as_database_error().and_then(|e| e.code());
        assert_eq!(code.as_deref(), Some("23503"), "{statement}: {refused}");
    }
    assert_eq!(app.orders_in_postgres("kept").await.len(), 2);
    let renamed = sqlx::query("UPDATE sales SET name = 'still kept' WHERE id = 'kept'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(renamed.rows_affected(), 1);
    let deleted = sqlx::query("DELETE FROM sales WHERE id = 'unsold'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(deleted.rows_affected(), 1, "a sale nobody bought can go");
}

#[tokio::test]
async fn orders_of_a_sale_postgres_does_not_hold_go_to_the_dead_letters() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("vanished", 10, json!({})).await;
    buy(&app, "vanished", 2).await;
    sqlx::query("DELETE FROM sales WHERE id = 'vanished'")
        .execute(&app.db)
        .await
        .unwrap();
    let mut persister = manual_persister(&app, 30_000).await;

    for _ in 0..5 {
        let _ = persister.try_execute_task().await;
    }

    let orphans: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(orphans, 0);
    let keys = app.sale_keys("vanished");
    let buried: usize = app.redis.clone().xlen(&keys.dead_letters).await.unwrap();
    assert_eq!(buried, 2);
}
