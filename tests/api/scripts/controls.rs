//! `lua/pause.lua`, `lua/end_sale.lua`, and the pause and the end as `lua/reserve.lua` and
//! `lua/load_sale.lua` read them: a paused attempt writes nothing, an end outranks a pause, and
//! a restore never resumes nor reopens a live sale.
use super::reserve::{assert_refused, reserve};
use super::{Sale, sale_hash};
use flashsale::redis::CONSUMER_GROUP;
use redis::Script;

async fn pause(sale: &Sale, flag: &str) -> i64 {
    let script = Script::new(include_str!("../../../lua/pause.lua"));
    let mut call = script.key(&sale.keys.sale);
    call.arg(flag);
    call.invoke_async(&mut sale.redis.clone()).await.unwrap()
}

async fn end(sale: &Sale) -> Vec<i64> {
    let script = Script::new(include_str!("../../../lua/end_sale.lua"));
    let call = script.key(&sale.keys.sale);
    call.invoke_async(&mut sale.redis.clone()).await.unwrap()
}

/// `load_sale.lua` with the fixture's definition but this end and pause, and no staged buyers.
async fn restore(sale: &Sale, ends_at: &str, paused: &str) -> String {
    let script = Script::new(include_str!("../../../lua/load_sale.lua"));
    let mut call = script.key(sale.keys.all().as_slice());
    call.key(format!("{}:staged-buyers:none", sale.keys.sale))
        .arg("Spring")
        .arg("10")
        .arg("5")
        .arg("1000");
    call.arg(ends_at)
        .arg("10")
        .arg("0")
        .arg(CONSUMER_GROUP)
        .arg(paused);
    call.invoke_async(&mut sale.redis.clone()).await.unwrap()
}

#[tokio::test]
async fn a_paused_sale_refuses_every_attempt_and_writes_nothing() {
    let sale = Sale::new().await;
    sale.put_sale(&[("paused", "1")]).await;

    assert_refused(&sale, "alice", "1", "key-1", "sale_paused").await;
    assert_refused(&sale, "bob", "1", "", "sale_paused").await;
    sale.put_sale(&[("paused", "1"), ("stock_left", "0"), ("reserved", "10")])
        .await;
    assert_refused(&sale, "bob", "1", "", "sale_paused").await;
    sale.put_sale(&[("paused", "1"), ("starts_at", "32503680000000")])
        .await;
    assert_refused(&sale, "bob", "1", "", "sale_paused").await;
    sale.put_sale(&[("paused", "1"), ("ends_at", "2000")]).await;
    assert_refused(&sale, "bob", "1", "", "sale_ended").await;
    sale.clean_up().await;
}

#[tokio::test]
async fn while_paused_a_repeated_key_still_gets_its_original_answer() {
    let sale = Sale::new().await;
    sale.put_sale(&[("paused", "1")]).await;
    let order_id = uuid::Uuid::now_v7().to_string();
    let original = format!("{order_id}\talice\t2\t1700000000000");
    sale.put(&sale.keys.idempotency, &[("key-1", original.as_str())])
        .await;
    let before = sale.snapshot().await;

    let (_, reply) = reserve(&sale, "alice", "2", "key-1").await;

    assert_eq!(reply, ["replayed", order_id.as_str(), "1700000000000"]);
    assert_eq!(sale.snapshot().await, before);
    sale.clean_up().await;
}

#[tokio::test]
async fn pause_and_resume_set_only_the_flag_and_leave_a_missing_sale_missing() {
    let sale = Sale::new().await;
    assert_eq!(pause(&sale, "1").await, 0);
    assert!(!sale.exists(&sale.keys.sale).await);

    sale.put_sale(&[]).await;
    assert_eq!(pause(&sale, "1").await, 1);
    assert_eq!(
        sale.hgetall(&sale.keys.sale).await,
        sale_hash(&[("paused", "1")])
    );
    assert_eq!(pause(&sale, "1").await, 1);
    assert_eq!(
        sale.hgetall(&sale.keys.sale).await,
        sale_hash(&[("paused", "1")])
    );
    assert_eq!(pause(&sale, "0").await, 1);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&[]));
    let (_, reply) = reserve(&sale, "alice", "1", "").await;
    assert_eq!(reply[0], "accepted");
    sale.clean_up().await;
}

#[tokio::test]
async fn end_closes_the_sale_at_redis_time_once_and_keeps_that_end_when_called_again() {
    let sale = Sale::new().await;
    let missing = end(&sale).await;
    assert_eq!(missing[..2], [0, 0]);
    assert!(!sale.exists(&sale.keys.sale).await);

    sale.put_sale(&[("ends_at", "32503680000000")]).await;
    let earliest = sale.now_ms().await;
    let first = end(&sale).await;
    let ended_at = first[2];
    assert!(
        (earliest..=sale.now_ms().await).contains(&ended_at),
        "{first:?}"
    );
    assert_eq!(first, [1, 1000, ended_at]);
    let end_field = ended_at.to_string();
    let expected = sale_hash(&[("ends_at", end_field.as_str())]);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected);
    assert_refused(&sale, "alice", "1", "", "sale_ended").await;

    assert_eq!(end(&sale).await, first);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected);
    sale.clean_up().await;
}

#[tokio::test]
async fn ending_an_upcoming_sale_moves_its_start_to_just_before_the_end() {
    let sale = Sale::new().await;
    sale.put_sale(&[("starts_at", "32503680000000")]).await;

    let reply = end(&sale).await;

    assert_eq!(reply, [1, reply[2] - 1, reply[2]]);
    let starts = (reply[2] - 1).to_string();
    let ends = reply[2].to_string();
    let expected = sale_hash(&[("starts_at", starts.as_str()), ("ends_at", ends.as_str())]);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected);
    sale.clean_up().await;
}

#[tokio::test]
async fn restore_pauses_but_never_resumes_and_never_reopens_a_live_sale() {
    let sale = Sale::new().await;
    sale.put_sale(&[("ends_at", "2000"), ("stock_left", "4"), ("reserved", "6")])
        .await;

    assert_eq!(restore(&sale, "32503680000000", "1").await, "kept");
    let paused_and_ended = sale_hash(&[
        ("ends_at", "2000"),
        ("stock_left", "4"),
        ("reserved", "6"),
        ("paused", "1"),
    ]);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, paused_and_ended);
    assert_eq!(restore(&sale, "", "0").await, "kept");
    assert_eq!(sale.hgetall(&sale.keys.sale).await, paused_and_ended);
    assert_eq!(restore(&sale, "1500", "0").await, "kept");
    let earlier = sale_hash(&[
        ("ends_at", "1500"),
        ("stock_left", "4"),
        ("reserved", "6"),
        ("paused", "1"),
    ]);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, earlier);
    sale.clean_up().await;
}

#[tokio::test]
async fn restore_of_a_lost_paused_sale_loads_it_paused() {
    let sale = Sale::new().await;

    assert_eq!(restore(&sale, "", "1").await, "loaded");

    assert_eq!(
        sale.hgetall(&sale.keys.sale).await,
        sale_hash(&[("paused", "1")])
    );
    assert_refused(&sale, "alice", "1", "", "sale_paused").await;
    sale.clean_up().await;
}
