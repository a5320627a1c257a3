//! A split sale's dead letters: each bucket buries into its own stream, and the list and replay
//! name a letter with its bucket, so an operator sees and replays every one of them.
use super::{buyers_homed_in, create_split_sale};
use crate::helpers::{ADMIN_TOKEN, spawn_app};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn a_dead_letter_of_a_bucket_is_listed_with_its_bucket_and_replayed_once() {
    let app = spawn_app().await;
    create_split_sale(&app, "split-dead", 10, json!({})).await;
    let refused = &buyers_homed_in("mallory", &[5], 1)[0];
    let rule = format!("ALTER TABLE orders ADD CONSTRAINT refused CHECK (user_id <> '{refused}')");
    sqlx::query(sqlx::AssertSqlSafe(rule))
        .execute(&app.db)
        .await
        .unwrap();
    for user in ["alice", refused.as_str(), "bob"] {
        let ordered = app.order("split-dead", json!({ "user_id": user })).await;
        assert_eq!(ordered.status(), 202);
    }
    let started = Instant::now();
    while app.admin_sale("split-dead").await["dead_letters"] != 1 {
        assert!(started.elapsed() < Duration::from_secs(15), "never buried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let listed: Value = app
        .admin_get("/admin/sales/split-dead/dead-letters")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 1);
    let letter = &listed["dead_letters"][0];
    assert_eq!(letter["order"]["user_id"], refused.as_str());
    let id = letter["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("5/"), "{id}");

    sqlx::query("ALTER TABLE orders DROP CONSTRAINT refused")
        .execute(&app.db)
        .await
        .unwrap();
    let replay = |ids: Value| {
        let app = &app;
        async move {
            let answer = app
                .http
                .post(format!(
                    "{}/admin/sales/split-dead/dead-letters/replay",
                    app.address
                ))
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({ "ids": ids }))
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 200);
            answer.json::<Value>().await.unwrap()
        }
    };
    let elsewhere = format!("7/{}", id.trim_start_matches("5/"));
    assert_eq!(
        replay(json!([id, elsewhere])).await,
        json!({ "replayed": 1, "not_found": [elsewhere], "not_replayable": [] })
    );
    let view = app.wait_until_persisted("split-dead").await;
    assert_eq!(
        (view["confirmed"].as_i64(), view["dead_letters"].as_i64()),
        (Some(3), Some(0))
    );
    assert_eq!(
        replay(json!([id])).await,
        json!({ "replayed": 0, "not_found": [id], "not_replayable": [] })
    );
    let rows = app.orders_in_postgres("split-dead").await;
    assert_eq!(rows.iter().filter(|row| &row.0 == refused).count(), 1);
}
