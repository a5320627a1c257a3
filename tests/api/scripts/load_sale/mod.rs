//! `lua/load_sale.lua`: never wipes; keeps a live sale's counters (raising its total to
//! Postgres's, never lowering it) and fills in a lost one, creating its consumer group unless
//! the stream kept it.
mod staged;

use super::{Sale, sale_hash};
use flashsale::redis::CONSUMER_GROUP;
use redis::streams::{StreamInfoGroupsReply, StreamReadOptions, StreamReadReply};
use redis::{AsyncCommands, Script};
use std::collections::BTreeMap;

/// The definition every load writes: not the fixture's, so that a refresh shows.
const DEFINITION: [(&str, &str); 5] = [
    ("name", "Summer"),
    ("stock_total", "12"),
    ("per_user_limit", "3"),
    ("starts_at", "5000"),
    ("ends_at", "32503680000000"),
];

/// Loads `DEFINITION` with these counters; returns the reply.
pub(super) async fn load(sale: &Sale, stock_left: &str, reserved: &str) -> String {
    let script = Script::new(include_str!("../../../../lua/load_sale.lua"));
    let mut call = script.key(sale.keys.all().as_slice());
    call.key(staged(sale));
    for (_, value) in DEFINITION {
        call.arg(value);
    }
    call.arg(stock_left).arg(reserved).arg(CONSUMER_GROUP);
    call.invoke_async(&mut sale.redis.clone()).await.unwrap()
}

/// The sale hash a load with these counters writes.
fn loaded(stock_left: &str, reserved: &str) -> BTreeMap<String, String> {
    let counters = [("stock_left", stock_left), ("reserved", reserved)];
    sale_hash(&[&DEFINITION[..], &counters].concat())
}

/// A live sale's other keys: a buyer, an idempotency record, a pending order, and the orders
/// stream with its group and `entries` entries, the first delivered but not acknowledged.
async fn live_keys(sale: &Sale, entries: usize) {
    sale.put(&sale.keys.buyers, &[("alice", "2")]).await;
    sale.put(
        &sale.keys.idempotency,
        &[("alice\tkey-1", "o1\talice\t2\t1")],
    )
    .await;
    sale.put(&sale.keys.pending, &[("o1", "alice\t2\t1")]).await;
    let mut redis = sale.redis.clone();
    let orders = &sale.keys.orders;
    let _: () = redis
        .xgroup_create_mkstream(orders, CONSUMER_GROUP, "0")
        .await
        .unwrap();
    for n in 0..entries {
        let _: String = redis
            .xadd(orders, "*", &[("order_id", format!("o{n}"))])
            .await
            .unwrap();
    }
    let read = StreamReadOptions::default()
        .group(CONSUMER_GROUP, "c1")
        .count(1);
    let _: Option<StreamReadReply> = redis.xread_options(&[orders], &[">"], &read).await.unwrap();
}

/// The stream's groups: name, entries delivered but not acknowledged, last delivered id.
async fn groups(sale: &Sale) -> Vec<(String, usize, String)> {
    let reply: StreamInfoGroupsReply = sale
        .redis
        .clone()
        .xinfo_groups(&sale.keys.orders)
        .await
        .unwrap();
    let groups = reply.groups.into_iter();
    groups
        .map(|g| (g.name, g.pending, g.last_delivered_id))
        .collect()
}

/// Where the test stages buyers for the next load.
pub(super) fn staged(sale: &Sale) -> String {
    format!(
        "{}:staged-buyers:test",
        sale.keys.sale.trim_end_matches(":sale")
    )
}

#[tokio::test]
async fn a_live_sale_loaded_again_is_never_wiped() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "2"), ("reserved", "8"), ("extra", "kept")])
        .await;
    live_keys(&sale, 2).await;
    let before = sale.snapshot().await;

    assert_eq!(load(&sale, "12", "0").await, "kept");

    let mut expected = loaded("4", "8");
    expected.insert("extra".into(), "kept".into());
    expected.insert("refills".into(), "1".into());
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected);
    assert_eq!(
        sale.snapshot().await[1..],
        before[1..],
        "other keys changed"
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn a_retiring_sale_loaded_again_loses_its_time_to_live() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "2"), ("reserved", "8")])
        .await;
    live_keys(&sale, 1).await;
    let mut redis = sale.redis.clone();
    let written = [
        &sale.keys.sale,
        &sale.keys.buyers,
        &sale.keys.idempotency,
        &sale.keys.pending,
        &sale.keys.orders,
    ];
    for key in written {
        let _: bool = redis.pexpire(key, 60_000).await.unwrap();
    }

    assert_eq!(load(&sale, "12", "0").await, "kept");

    for key in written {
        let ttl: i64 = redis.pttl(key).await.unwrap();
        assert_eq!(ttl, -1, "{key}");
    }
    sale.clean_up().await;
}

#[tokio::test]
async fn a_lower_total_than_the_live_one_is_not_applied() {
    let sale = Sale::new().await;
    sale.put_sale(&[
        ("stock_total", "20"),
        ("stock_left", "14"),
        ("reserved", "6"),
    ])
    .await;

    assert_eq!(load(&sale, "12", "0").await, "kept");

    let mut expected = loaded("14", "6");
    expected.insert("stock_total".into(), "20".into());
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected);
    sale.clean_up().await;
}

#[tokio::test]
async fn restore_keeps_a_live_sales_counters_and_keys_and_refreshes_its_definition() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "4"), ("reserved", "6")])
        .await;
    live_keys(&sale, 2).await;
    let before = sale.snapshot().await;

    assert_eq!(load(&sale, "12", "0").await, "kept");

    // The total went from 10 to Postgres's 12: what is left moved with it, a refill.
    let mut expected = loaded("6", "6");
    expected.insert("refills".into(), "1".into());
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected);
    assert_eq!(
        sale.snapshot().await[1..],
        before[1..],
        "other keys changed"
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn restore_fills_in_a_sale_redis_lost_and_creates_its_stream_and_group() {
    let sale = Sale::new().await;

    assert_eq!(load(&sale, "9", "3").await, "loaded");

    assert_eq!(sale.hgetall(&sale.keys.sale).await, loaded("9", "3"));
    for key in [
        &sale.keys.buyers,
        &sale.keys.idempotency,
        &sale.keys.pending,
    ] {
        assert!(!sale.exists(key).await, "{key} was written");
    }
    let group = (CONSUMER_GROUP.to_owned(), 0, "0-0".to_owned());
    assert_eq!(groups(&sale).await, [group]);
    sale.clean_up().await;
}

#[tokio::test]
async fn restore_over_a_stream_that_survived_keeps_its_group_and_what_it_delivered() {
    let sale = Sale::new().await;
    live_keys(&sale, 2).await;
    let before = sale.snapshot().await;
    let delivered = groups(&sale).await;
    assert_eq!(delivered[0].1, 1, "one entry delivered, not acknowledged");

    assert_eq!(load(&sale, "7", "3").await, "loaded");

    assert_eq!(sale.hgetall(&sale.keys.sale).await, loaded("7", "3"));
    assert_eq!(
        sale.snapshot().await[1..],
        before[1..],
        "other keys changed"
    );
    assert_eq!(groups(&sale).await, delivered);
    sale.clean_up().await;
}
