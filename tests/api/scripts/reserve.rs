//! `lua/reserve.lua` with one attempt (a lone order): all or nothing; every refusal leaves the
//! sale's keys byte-identical. Idempotency keys have their own file, `reserve_keys`; batches of
//! attempts theirs, `reserve_batch`.
use super::{Sale, fields, sale_hash};
use crate::helpers::RedisProcess;
use flashsale::domain::SaleId;
use flashsale::redis::KeySpace;
use redis::{AsyncCommands, Script};

pub(super) fn script() -> Script {
    Script::new(include_str!("../../../lua/reserve.lua"))
}

/// One attempt with a fresh order id; returns the order id and the reply.
pub(super) async fn reserve(
    sale: &Sale,
    user: &str,
    quantity: &str,
    key: &str,
) -> (String, Vec<String>) {
    let order_id = uuid::Uuid::now_v7().to_string();
    let reply: Vec<String> = script()
        .key(sale.keys.all().as_slice())
        .arg(user)
        .arg(quantity)
        .arg(&order_id)
        .arg(key)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap();
    let mut answers = answers(&reply, &[order_id.as_str()]);
    (order_id, answers.remove(0))
}

/// The script's compact reply (the batch's creation time, then one short answer per attempt)
/// as one reply per attempt: `[outcome, order_id, created_ms]` for an order, `[reason]` for a
/// refusal. `order_ids` are the ids the attempts were sent with.
pub(super) fn answers(reply: &[String], order_ids: &[&str]) -> Vec<Vec<String>> {
    let (created_ms, answers) = reply.split_first().expect("a creation time first");
    assert_eq!(answers.len(), order_ids.len(), "one answer per attempt");
    answers
        .iter()
        .zip(order_ids)
        .map(
            |(answer, order_id)| match answer.split('\t').collect::<Vec<_>>()[..] {
                ["accepted"] => vec!["accepted".into(), order_id.to_string(), created_ms.clone()],
                ["replayed", id, created] => vec!["replayed".into(), id.into(), created.into()],
                [reason] => vec![reason.into()],
                _ => panic!("malformed answer {answer:?}"),
            },
        )
        .collect()
}

/// Asserts that the attempt is refused for `reason` and that no key of the sale changed.
pub(super) async fn assert_refused(
    sale: &Sale,
    user: &str,
    quantity: &str,
    key: &str,
    reason: &str,
) {
    let before = sale.snapshot().await;
    let (_, reply) = reserve(sale, user, quantity, key).await;
    assert_eq!(reply, [reason]);
    assert_eq!(sale.snapshot().await, before, "{reason} wrote to Redis");
}

#[tokio::test]
async fn an_accepted_order_takes_its_stock_and_is_recorded_once_in_every_key() {
    let sale = Sale::new().await;
    sale.put_sale(&[]).await;
    sale.put(&sale.keys.buyers, &[("bob", "1")]).await;
    let before = sale.snapshot().await;
    let earliest = sale.now_ms().await;

    let (order_id, reply) = reserve(&sale, "alice", "2", "key-1").await;

    assert_ne!(sale.snapshot().await, before, "snapshots see every write");
    let created = reply[2].clone();
    assert_eq!(reply, ["accepted", order_id.as_str(), created.as_str()]);
    let created_ms: i64 = created.parse().unwrap();
    assert!(
        (earliest..=sale.now_ms().await).contains(&created_ms),
        "{created}"
    );
    let expected_sale = sale_hash(&[("stock_left", "8"), ("reserved", "2")]);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected_sale);
    let buyers = fields(&[("alice", "2"), ("bob", "1")]);
    assert_eq!(sale.hgetall(&sale.keys.buyers).await, buyers);
    let entries: Vec<(String, Vec<String>)> = redis::cmd("XRANGE")
        .arg(&sale.keys.orders)
        .arg("-")
        .arg("+")
        .query_async(&mut sale.redis.clone())
        .await
        .unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    let line = format!("{order_id}\talice\t2\tkey-1");
    assert_eq!(
        entries[0].1,
        ["created_ms", created.as_str(), "orders", line.as_str()]
    );
    let pending = format!("alice\t2\t{created}\tkey-1");
    assert_eq!(
        sale.hgetall(&sale.keys.pending).await,
        fields(&[(order_id.as_str(), pending.as_str())])
    );
    let original = format!("{order_id}\talice\t2\t{created}");
    assert_eq!(
        sale.hgetall(&sale.keys.idempotency).await,
        fields(&[("alice\tkey-1", original.as_str())])
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn a_buyers_orders_add_up_and_without_a_key_no_idempotency_record_is_written() {
    let sale = Sale::new().await;
    sale.put_sale(&[]).await;
    sale.put(&sale.keys.buyers, &[("alice", "1")]).await;

    let (order_id, reply) = reserve(&sale, "alice", "3", "").await;

    assert_eq!(reply[..2], ["accepted", order_id.as_str()]);
    assert_eq!(
        sale.hgetall(&sale.keys.buyers).await,
        fields(&[("alice", "4")])
    );
    assert!(!sale.exists(&sale.keys.idempotency).await);
    sale.clean_up().await;
}

#[tokio::test]
async fn before_its_start_the_sale_is_not_started() {
    let sale = Sale::new().await;
    sale.put_sale(&[("starts_at", "32503680000000")]).await;

    assert_refused(&sale, "alice", "1", "key-1", "sale_not_started").await;
    sale.clean_up().await;
}

#[tokio::test]
async fn from_its_end_on_the_sale_is_ended() {
    let sale = Sale::new().await;
    sale.put_sale(&[("ends_at", "2000")]).await;

    assert_refused(&sale, "alice", "1", "key-1", "sale_ended").await;
    sale.clean_up().await;
}

#[tokio::test]
async fn with_nothing_left_the_sale_is_sold_out() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "0"), ("reserved", "10")])
        .await;

    assert_refused(&sale, "alice", "1", "key-1", "sold_out").await;
    sale.clean_up().await;
}

#[tokio::test]
async fn going_past_the_buyers_limit_is_refused_counting_what_they_already_have() {
    let sale = Sale::new().await;
    sale.put_sale(&[("per_user_limit", "3")]).await;
    sale.put(&sale.keys.buyers, &[("alice", "2")]).await;

    assert_refused(&sale, "alice", "2", "key-1", "purchase_limit_exceeded").await;
    assert_refused(&sale, "bob", "4", "", "purchase_limit_exceeded").await;
    sale.clean_up().await;
}

#[tokio::test]
async fn asking_for_more_than_is_left_is_insufficient_stock() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "3"), ("reserved", "7")])
        .await;

    assert_refused(&sale, "alice", "4", "key-1", "insufficient_stock").await;
    sale.clean_up().await;
}

/// Redis forgets its scripts when it restarts; the next call must load the script again
/// (NOSCRIPT, then SCRIPT LOAD). `SCRIPT FLUSH` would break the tests sharing the project's
/// Redis, so this runs on a Redis of its own.
#[tokio::test]
async fn a_redis_that_forgot_the_script_is_given_it_again_by_the_next_call() {
    let redis = RedisProcess::start_without_persistence().await;
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys = KeySpace::new("t").unwrap();
    let keys = keys.sale(&SaleId::parse("spring").unwrap());
    let sale: Vec<_> = sale_hash(&[]).into_iter().collect();
    let _: () = conn.hset_multiple(&keys.sale, &sale).await.unwrap();
    let reserve_lua = script();
    let mut call = reserve_lua.key(keys.all().as_slice());
    call.arg("alice").arg("1").arg("order-1").arg("");
    let known = || {
        redis::cmd("SCRIPT")
            .arg("EXISTS")
            .arg(reserve_lua.get_hash())
            .to_owned()
    };

    let first: Vec<String> = call.invoke_async(&mut conn).await.unwrap();
    assert_eq!(
        answers(&first, &["order-1"])[0][..2],
        ["accepted", "order-1"]
    );
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .unwrap();
    let forgotten: Vec<bool> = known().query_async(&mut conn).await.unwrap();
    let again: Vec<String> = call.invoke_async(&mut conn).await.unwrap();

    assert_eq!(forgotten, [false], "SCRIPT FLUSH emptied the cache");
    assert_eq!(
        answers(&again, &["order-1"])[0][..2],
        ["accepted", "order-1"]
    );
    let left: i64 = conn.hget(&keys.sale, "stock_left").await.unwrap();
    assert_eq!(left, 8, "both calls ran the script");
    let reloaded: Vec<bool> = known().query_async(&mut conn).await.unwrap();
    assert_eq!(reloaded, [true]);
}
