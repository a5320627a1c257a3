//! The persister: exactly once into Postgres, whatever crashes, redeliveries or outages.
use crate::helpers::{TcpProxy, TestApp, redis_url, spawn_app, spawn_app_with};
use flashsale::metrics::Metrics;
use flashsale::persister::{ExecutionOutcome, Persister, Tally};
use flashsale::redis::{CONSUMER_GROUP, RedisStore};
use futures::future::join_all;
use redis::AsyncCommands;
use redis::streams::{StreamReadOptions, StreamReadReply};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

/// A persister driven by hand, step by step, for the test's sales.
async fn manual_persister(app: &TestApp, claim_idle_ms: u64) -> Persister {
    let store = RedisStore::connect(&redis_url(), &app.settings.redis_prefix)
        .await
        .unwrap();
    let mut settings = app.settings.persister.clone();
    settings.claim_idle_ms = claim_idle_ms;
    Persister::new(
        &store,
        app.db.clone(),
        &settings,
        Arc::new(Metrics::default()),
    )
}

/// Runs the persister until it finds nothing to do, adding up what it wrote.
async fn drain(persister: &mut Persister) -> Tally {
    let mut total = Tally::default();
    while let ExecutionOutcome::Persisted(tally) = persister.try_execute_task().await.unwrap() {
        total.confirmed += tally.confirmed;
        total.rejected += tally.rejected;
        total.duplicates += tally.duplicates;
    }
    total
}

async fn delivered_unacknowledged(app: &TestApp, stream: &str) -> usize {
    let summary: redis::streams::StreamPendingReply = app
        .redis
        .clone()
        .xpending(stream, CONSUMER_GROUP)
        .await
        .unwrap();
    summary.count()
}

async fn buy(app: &TestApp, sale: &str, buyers: usize) {
    for n in 0..buyers {
        let response = app.order(sale, json!({ "user_id": format!("b{n}") })).await;
        assert_eq!(response.status(), 202);
    }
}

#[tokio::test]
async fn orders_left_pending_by_a_dead_consumer_are_claimed_and_persisted_once() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("orphans", 10, json!({})).await;
    buy(&app, "orphans", 10).await;
    let stream = app.sale_keys("orphans").orders;
    // A consumer reads every entry, then dies before writing or acknowledging any.
    let read: Option<StreamReadReply> = app
        .redis
        .clone()
        .xread_options(
            &[&stream],
            &[">"],
            &StreamReadOptions::default()
                .group(CONSUMER_GROUP, "dead-consumer")
                .count(100),
        )
        .await
        .unwrap();
    assert_eq!(read.unwrap().keys[0].ids.len(), 10);
    let mut persister = manual_persister(&app, 50).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let tally = drain(&mut persister).await;

    assert_eq!(
        tally,
        Tally {
            confirmed: 10,
            rejected: 0,
            duplicates: 0
        }
    );
    assert_eq!(app.orders_in_postgres("orphans").await.len(), 10);
    assert_eq!(delivered_unacknowledged(&app, &stream).await, 0);
    let length: usize = app.redis.clone().xlen(&stream).await.unwrap();
    assert_eq!(length, 0, "acknowledged entries are deleted");
    assert_eq!(drain(&mut persister).await, Tally::default());
}

#[tokio::test]
async fn a_batch_delivered_again_after_its_commit_adds_no_rows() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("again", 10, json!({})).await;
    buy(&app, "again", 5).await;
    let stream = app.sale_keys("again").orders;
    let entries: redis::streams::StreamRangeReply =
        app.redis.clone().xrange_all(&stream).await.unwrap();
    let mut persister = manual_persister(&app, 30_000).await;
    assert_eq!(drain(&mut persister).await.confirmed, 5);

    // The same entries arrive again, as after a crash between commit and acknowledgement.
    for entry in &entries.ids {
        let fields: Vec<(String, String)> = entry
            .map
            .iter()
            .map(|(k, v)| (k.clone(), redis::from_redis_value_ref(v).unwrap()))
            .collect();
        let _: String = app.redis.clone().xadd(&stream, "*", &fields).await.unwrap();
    }
    let tally = drain(&mut persister).await;

    assert_eq!(
        tally,
        Tally {
            confirmed: 0,
            rejected: 0,
            duplicates: 5
        }
    );
    assert_eq!(app.orders_in_postgres("again").await.len(), 5);
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'again'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 5, "duplicates do not count against the stock twice");
}

#[tokio::test]
async fn postgres_refuses_orders_beyond_the_stock_even_if_redis_accepted_them() {
    let app = spawn_app().await;
    app.create_sale("guarded", 5, json!({})).await;
    // Redis goes wrong and believes there are 8 units.
    let _: () = app
        .redis
        .clone()
        .hset(app.sale_keys("guarded").sale, "stock_left", 8)
        .await
        .unwrap();
    buy(&app, "guarded", 8).await;

    let sale = app.wait_until_persisted("guarded").await;

    assert_eq!(
        (sale["confirmed"].as_i64(), sale["rejected"].as_i64()),
        (Some(5), Some(3))
    );
    let orders = app.orders_in_postgres("guarded").await;
    assert_eq!(orders.len(), 8, "refused orders are kept, not dropped");
    assert_eq!(orders.iter().filter(|o| o.2 == "rejected").count(), 3);
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'guarded'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 5);
}

/// Cuts Postgres off for `outage` while `buyers` buy at once: buying goes on, readiness says
/// Postgres is down, and once it is back every order is persisted exactly once.
async fn postgres_outage_under_load(buyers: usize, outage: Duration) {
    let proxy = TcpProxy::start("127.0.0.1:5440");
    let app = spawn_app_with(|s| {
        s.database_url = s
            .database_url
            .replace(":5440/", &format!(":{}/", proxy.port));
    })
    .await;
    app.create_sale("outage", buyers as i64, json!({})).await;

    proxy.cut();
    let statuses =
        join_all((0..buyers).map(|n| app.order("outage", json!({ "user_id": format!("b{n}") }))))
            .await
            .iter()
            .map(|r| r.status().as_u16())
            .collect::<Vec<_>>();
    assert!(
        statuses.iter().all(|s| *s == 202),
        "buying stops without Postgres"
    );
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.json::<Value>().await.unwrap()["postgres"], "down");
    tokio::time::sleep(outage).await;
    assert_eq!(app.orders_in_postgres("outage").await.len(), 0);
    proxy.restore();

    let sale = app.wait_until_persisted("outage").await;

    assert_eq!(sale["confirmed"], buyers);
    assert_eq!(app.orders_in_postgres("outage").await.len(), buyers);
    assert_eq!(app.get("/readyz").await.status(), 200);
}

#[tokio::test]
async fn orders_accepted_while_postgres_is_down_are_persisted_once_it_is_back() {
    postgres_outage_under_load(50, Duration::from_millis(1_500)).await;
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn a_ten_second_postgres_outage_under_load_loses_and_duplicates_nothing() {
    postgres_outage_under_load(2_000, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn stopping_the_app_acknowledges_every_batch_it_took() {
    let mut app = spawn_app_with(|s| s.persister.batch_size = 5).await;
    app.create_sale("closing", 100, json!({})).await;
    buy(&app, "closing", 40).await;

    app.stop().await;

    // Every order is either in Postgres or still in the stream for the next persister, and
    // nothing was left delivered but unacknowledged.
    let stream = app.sale_keys("closing").orders;
    let in_stream: usize = app.redis.clone().xlen(&stream).await.unwrap();
    let in_postgres = app.orders_in_postgres("closing").await.len();
    assert_eq!(in_postgres + in_stream, 40);
    assert_eq!(delivered_unacknowledged(&app, &stream).await, 0);
    let pending_records: usize = app
        .redis
        .clone()
        .hlen(app.sale_keys("closing").pending)
        .await
        .unwrap();
    assert_eq!(
        pending_records, in_stream,
        "persisted orders leave the pending hash"
    );
}

#[tokio::test]
async fn entries_that_can_never_be_written_go_to_the_dead_letters_without_blocking_the_rest() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("poisoned", 10, json!({ "per_user_limit": 2 }))
        .await;
    buy(&app, "poisoned", 2).await;
    let keys = app.sale_keys("poisoned");
    // One entry that parses but Postgres refuses (a timestamp before 4713 BC, outside its
    // range), one whose quantity breaks the contract, and one that is not an order at all.
    let order = |quantity: &str, created_ms: &str| {
        [
            ("order_id", uuid::Uuid::now_v7().to_string()),
            ("user_id", "mallory".to_owned()),
            ("quantity", quantity.to_owned()),
            ("created_ms", created_ms.to_owned()),
        ]
    };
    for entry in [
        order("1", "-220000000000000"),
        order("5000", "1700000000000"),
    ] {
        let _: String = app
            .redis
            .clone()
            .xadd(&keys.orders, "*", &entry)
            .await
            .unwrap();
    }
    let _: String = app
        .redis
        .clone()
        .xadd(&keys.orders, "*", &[("garbage", "yes")])
        .await
        .unwrap();
    buy(&app, "poisoned", 3).await;
    let mut persister = manual_persister(&app, 30_000).await;

    let mut written = 0;
    for _ in 0..10 {
        match persister.try_execute_task().await {
            Ok(ExecutionOutcome::Persisted(tally)) => written += tally.confirmed,
            Ok(ExecutionOutcome::Idle) => break,
            Err(_) => {} // the poisoned batch failing before it is taken apart
        }
    }

    assert_eq!(written, 5, "the good orders around the poison are written");
    assert_eq!(app.orders_in_postgres("poisoned").await.len(), 5);
    let dead: redis::streams::StreamRangeReply = app
        .redis
        .clone()
        .xrange_all(&keys.dead_letters)
        .await
        .unwrap();
    assert_eq!(dead.ids.len(), 3);
    let reasons: Vec<String> = dead.ids.iter().map(|e| e.get("reason").unwrap()).collect();
    assert_eq!(
        reasons.iter().filter(|r| *r == "malformed entry").count(),
        2,
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("out of range")),
        "{reasons:?}"
    );
    assert_eq!(delivered_unacknowledged(&app, &keys.orders).await, 0);
    let length: usize = app.redis.clone().xlen(&keys.orders).await.unwrap();
    assert_eq!(length, 0);
    let sale = app.admin_sale("poisoned").await;
    assert_eq!(sale["dead_letters"], 3);
}
