//! `lua/replay_dead_letters.lua`: each dead letter moves back to the orders stream whole and
//! once; a second replay of the same id, or an unknown id, writes nothing.
use super::Sale;
use redis::streams::StreamRangeReply;
use redis::{AsyncCommands, Script};
use std::collections::BTreeMap;

async fn replay(sale: &Sale, ids: &[&str]) -> Vec<String> {
    Script::new(include_str!("../../../lua/replay_dead_letters.lua"))
        .key(&sale.keys.dead_letters)
        .key(&sale.keys.orders)
        .arg(ids)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap()
}

async fn entries(sale: &Sale, stream: &str) -> Vec<BTreeMap<String, String>> {
    let reply: StreamRangeReply = sale.redis.clone().xrange_all(stream).await.unwrap();
    reply
        .ids
        .iter()
        .map(|entry| {
            entry
                .map
                .iter()
                .map(|(k, v)| (k.clone(), redis::from_redis_value_ref(v).unwrap()))
                .collect()
        })
        .collect()
}

async fn bury(sale: &Sale, fields: &[(&str, &str)]) -> String {
    sale.redis
        .clone()
        .xadd(&sale.keys.dead_letters, "*", fields)
        .await
        .unwrap()
}

const ORDER: [(&str, &str); 4] = [
    ("order_id", "0190a0a0-0000-7000-8000-000000000001"),
    ("user_id", "mallory"),
    ("quantity", "2"),
    ("created_ms", "1700000000000"),
];

#[tokio::test]
async fn a_dead_letter_moves_back_with_its_order_fields_and_leaves_the_dead_letters() {
    let sale = Sale::new().await;
    let mut buried = ORDER.to_vec();
    buried.extend([("entry_id", "1700000000000-0"), ("reason", "refused")]);
    let order = bury(&sale, &buried).await;
    let empty = bury(&sale, &[("entry_id", "1-0"), ("reason", "malformed entry")]).await;

    let replayed = replay(&sale, &[&order, &empty, "9-9"]).await;

    assert_eq!(
        replayed,
        std::slice::from_ref(&order),
        "unknown and empty entries are skipped"
    );
    let orders = entries(&sale, &sale.keys.orders).await;
    assert_eq!(orders, [super::fields(&ORDER)]);
    let left = entries(&sale, &sale.keys.dead_letters).await;
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["reason"], "malformed entry");

    let dump = |key: String| {
        let mut redis = sale.redis.clone();
        async move {
            let dump: Option<Vec<u8>> = redis::cmd("DUMP")
                .arg(key)
                .query_async(&mut redis)
                .await
                .unwrap();
            dump
        }
    };
    let before = (
        dump(sale.keys.orders.clone()).await,
        dump(sale.keys.dead_letters.clone()).await,
    );
    assert!(replay(&sale, &[&order]).await.is_empty(), "replayed twice");
    let after = (
        dump(sale.keys.orders.clone()).await,
        dump(sale.keys.dead_letters.clone()).await,
    );
    assert_eq!(after, before, "a second replay wrote to Redis");
    sale.clean_up().await;
}
