//! Three `flashsale` processes on one Redis (or one cluster) and one Postgres, each with its own
//! persister loops: one stock and one per-user limit across all three, every 202 confirmed
//! exactly once, and the three processes' persisters reading one consumer group.
use crate::helpers::{ADMIN_TOKEN, ServerProcess, drop_database, test_settings};
use flashsale::domain::SaleId;
use flashsale::postgres::MIGRATOR;
use flashsale::redis::{CONSUMER_GROUP, KeySpace};
use flashsale_testkit::AdminClient;
use futures::future::join_all;
use redis::AsyncCommands;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

const STOCK: i64 = 500;
const LIMIT: usize = 2;
/// Each buyer tries three times, once through each instance: 1,200 attempts for 800 units the
/// limit would allow, 500 in stock.
const BUYERS: usize = 400;

/// Orders this process's persisters wrote, from its `/metrics`.
async fn persisted_by(http: &reqwest::Client, server: &ServerProcess) -> u64 {
    let text = http
        .get(format!("{}/metrics", server.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        // A redelivered entry (claimed from a loop that was slow to acknowledge it) is counted as
        // `duplicate`: only the orders a process wrote count towards its share.
        .filter(|line| {
            line.starts_with(r#"flashsale_persister_orders_total{status="confirmed"}"#)
                || line.starts_with(r#"flashsale_persister_orders_total{status="rejected"}"#)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[tokio::test]
async fn three_instances_sell_one_stock_exactly_and_share_the_persisting() {
    let (settings, database) = test_settings().await;
    let db = PgPool::connect(&settings.database_url).await.unwrap();
    MIGRATOR.run(&db).await.unwrap();
    let servers = join_all((0..3).map(|_| ServerProcess::start(&settings))).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/admin/sales", servers[0].address))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({ "id": "shared", "stock": STOCK, "per_user_limit": LIMIT }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);

    let attempts = (0..BUYERS * 3).map(|n| {
        let (buyer, server) = (format!("b{}", n % BUYERS), &servers[n % 3]);
        let url = format!("{}/api/sales/shared/orders", server.address);
        let http = http.clone();
        async move {
            let response = http
                .post(url)
                .json(&json!({ "user_id": buyer }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            let order = (status == 202).then(|| body["order_id"].as_str().unwrap().to_owned());
            (buyer, status, order)
        }
    });
    let answers = join_all(attempts).await;
    let mut per_buyer: HashMap<&str, usize> = HashMap::new();
    let mut accepted = Vec::new();
    for (buyer, status, order) in &answers {
        assert!([202, 409].contains(status), "{buyer}: {status}");
        if let Some(order) = order {
            *per_buyer.entry(buyer).or_default() += 1;
            accepted.push(Uuid::parse_str(order).unwrap());
        }
    }
    assert_eq!(accepted.len() as i64, STOCK, "the stock, exactly");
    assert!(per_buyer.values().all(|bought| *bought <= LIMIT));

    AdminClient::new(&servers[1].address, ADMIN_TOKEN)
        .wait_until_persisted("shared", Duration::from_secs(60))
        .await
        .unwrap();
    let confirmed: Vec<Uuid> = sqlx::query_scalar(
        "SELECT order_id FROM orders WHERE sale_id = 'shared' AND status = 'confirmed'",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let mut confirmed_sorted = confirmed.clone();
    confirmed_sorted.sort_unstable();
    accepted.sort_unstable();
    assert_eq!(confirmed_sorted, accepted, "every 202 confirmed, once");

    let keys = KeySpace::new(&settings.redis_prefix)
        .unwrap()
        .sale(&SaleId::parse("shared").unwrap());
    let mut redis = crate::helpers::test_redis().await;
    let pending: redis::streams::StreamPendingReply =
        redis.xpending(&keys.orders, CONSUMER_GROUP).await.unwrap();
    assert_eq!(
        pending.count(),
        0,
        "nothing left delivered and unacknowledged"
    );
    let records: usize = redis.hlen(&keys.pending).await.unwrap();
    assert_eq!(records, 0);
    let shares = join_all(servers.iter().map(|server| persisted_by(&http, server))).await;
    assert_eq!(shares.iter().sum::<u64>(), STOCK as u64, "{shares:?}");
    // Which process's loop wins each entry is a race (one entry holds a whole group commit, so a
    // burst makes few of them): what must hold is that all three read the one group, and that
    // together they wrote every order once.
    let consumers: Vec<redis::streams::StreamInfoConsumer> = redis
        .xinfo_consumers::<_, _, redis::streams::StreamInfoConsumersReply>(
            &keys.orders,
            CONSUMER_GROUP,
        )
        .await
        .unwrap()
        .consumers;
    let processes: HashSet<&str> = consumers
        .iter()
        .filter_map(|consumer| consumer.name.rsplit_once('-').map(|(base, _)| base))
        .collect();
    assert_eq!(processes.len(), 3, "{consumers:?}");

    drop(servers);
    db.close().await;
    drop_database(&database).await;
}
