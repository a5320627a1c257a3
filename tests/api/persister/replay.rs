//! Dead letters replayed by an operator (admin API or CLI) end in Postgres exactly once: a
//! second replay, or the replay of an order Postgres already holds, adds nothing.
use crate::helpers::{TestApp, assert_problem, redis_env, spawn_app};
use redis::AsyncCommands;
use serde_json::{Value, json};
use std::process::Command;
use std::time::{Duration, Instant};

/// `flashsale dead-letters --json <args>` against the test's app (or with `--direct`, its Redis
/// prefix); its JSON output.
async fn dead_letters_command(app: &TestApp, args: &[&str]) -> Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_flashsale"));
    command
        .args(["dead-letters", "--json"])
        .args(args)
        .envs(redis_env(&app.settings))
        .env("FLASHSALE_REDIS_PREFIX", &app.settings.redis_prefix)
        .env("FLASHSALE_ADMIN_URL", &app.admin_address)
        .env("FLASHSALE_ADMIN_TOKEN", crate::helpers::ADMIN_TOKEN);
    // Off the test's runtime thread, which drives the app's Redis connections.
    let output = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn replay(app: &TestApp, body: Option<Value>) -> reqwest::Response {
    let request = app
        .http
        .post(format!(
            "{}/admin/sales/buried/dead-letters/replay",
            app.address
        ))
        .bearer_auth(crate::helpers::ADMIN_TOKEN);
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    request.send().await.unwrap()
}

async fn listed(app: &TestApp, query: &str) -> Value {
    let response = app
        .admin_get(&format!("/admin/sales/buried/dead-letters{query}"))
        .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Orders of `user` in Postgres, counted by row.
async fn rows_of(app: &TestApp, user: &str) -> usize {
    let orders = app.orders_in_postgres("buried").await;
    orders.iter().filter(|order| order.0 == user).count()
}

#[tokio::test]
async fn a_replayed_dead_letter_is_persisted_exactly_once() {
    let app = spawn_app().await;
    app.create_sale("buried", 10, json!({})).await;
    // Postgres refuses one buyer's order for its data until the operator fixes the rule.
    let refuse = "ALTER TABLE orders ADD CONSTRAINT no_mallory CHECK (user_id <> 'mallory')";
    sqlx::query(refuse).execute(&app.db).await.unwrap();
    for user in ["alice", "mallory", "bob"] {
        assert_eq!(
            app.order("buried", json!({ "user_id": user }))
                .await
                .status(),
            202
        );
    }
    let started = Instant::now();
    while app.admin_sale("buried").await["dead_letters"] != 1 {
        assert!(started.elapsed() < Duration::from_secs(15), "never buried");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = listed(&app, "").await;
    assert_eq!(list["total"], 1);
    let letter = &list["dead_letters"][0];
    assert_eq!(letter["order"]["user_id"], "mallory");
    assert_eq!(letter["reason"], "refused by postgres: 23514");
    assert_eq!(letter["replayable"], true);
    let id = letter["id"].as_str().unwrap().to_owned();
    assert_problem(listed_raw(&app, "?limit=101").await, 400, "invalid_request").await;
    assert_problem(
        replay(&app, Some(json!({ "ids": ["x"] }))).await,
        400,
        "invalid_request",
    )
    .await;
    assert_problem(
        replay(&app, Some(json!({ "ids": [] }))).await,
        400,
        "invalid_request",
    )
    .await;
    let typo = replay(&app, Some(json!({ "id": [id] }))).await;
    assert_problem(typo, 400, "invalid_request").await;
    assert_eq!(
        listed(&app, "").await["total"],
        1,
        "a refused replay changes nothing"
    );

    sqlx::query("ALTER TABLE orders DROP CONSTRAINT no_mallory")
        .execute(&app.db)
        .await
        .unwrap();
    let replayed: Value = replay(&app, None).await.json().await.unwrap();
    assert_eq!(
        replayed,
        json!({ "replayed": 1, "not_found": [], "not_replayable": [] })
    );
    let sale = app.wait_until_persisted("buried").await;
    assert_eq!(
        (sale["confirmed"].as_i64(), sale["dead_letters"].as_i64()),
        (Some(3), Some(0))
    );
    assert_eq!(rows_of(&app, "mallory").await, 1);

    // Twice: the id is gone.
    let again: Value = replay(&app, Some(json!({ "ids": [id] })))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again,
        json!({ "replayed": 0, "not_found": [id], "not_replayable": [] })
    );

    // A copy of an order Postgres already holds, and an entry that is no order, through the CLI:
    // listed straight from Redis, replayed through the API.
    let keys = app.sale_keys("buried");
    let fields = letter["order"].as_object().unwrap();
    let mut copy: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap()))
        .collect();
    copy.push(("reason", "restored from a backup"));
    let _: String = app
        .redis
        .clone()
        .xadd(&keys.dead_letters, "*", &copy)
        .await
        .unwrap();
    let garbage: String = app
        .redis
        .clone()
        .xadd(
            &keys.dead_letters,
            "*",
            &[("garbage", "yes"), ("reason", "malformed entry")],
        )
        .await
        .unwrap();
    let list = dead_letters_command(&app, &["--direct", "list", "buried"]).await;
    assert_eq!(list["total"], 2);
    assert_eq!(list["dead_letters"][1]["replayable"], false);
    let replayed = dead_letters_command(&app, &["replay", "buried"]).await;
    assert_eq!(
        replayed,
        json!({ "replayed": 1, "not_found": [], "not_replayable": [garbage] })
    );

    let sale = app.wait_until_persisted("buried").await;
    assert_eq!(sale["confirmed"], 3);
    assert_eq!(sale["dead_letters"], 1, "the malformed entry stays");
    assert_eq!(
        rows_of(&app, "mallory").await,
        1,
        "the copy was a duplicate"
    );
    assert_eq!(app.orders_in_postgres("buried").await.len(), 3);
    let waiting: usize = app.redis.clone().xlen(&keys.orders).await.unwrap();
    assert_eq!(waiting, 0);
    let pending: usize = app.redis.clone().hlen(&keys.pending).await.unwrap();
    assert_eq!(pending, 0);
}

async fn listed_raw(app: &TestApp, query: &str) -> reqwest::Response {
    app.admin_get(&format!("/admin/sales/buried/dead-letters{query}"))
        .await
}

#[tokio::test]
async fn dead_letters_of_an_unknown_sale_are_not_found() {
    let app = spawn_app().await;
    let response = app.admin_get("/admin/sales/nope/dead-letters").await;
    assert_problem(response, 404, "sale_not_found").await;
    let response = app
        .admin_post(
            "/admin/sales/nope/dead-letters/replay",
            &json!({ "ids": ["1-0"] }),
        )
        .await;
    assert_problem(response, 404, "sale_not_found").await;
}
