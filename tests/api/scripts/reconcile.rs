//! `lua/reconcile.lua`: a live sale's counters reset to what is really left, counting orders
//! accepted since the caller looked, never below zero; a sale Redis does not hold is left alone.
use super::{Sale, sale_hash};
use redis::Script;

/// Resets the counters for this Postgres total, units taken, and `reserved` as the caller saw it.
async fn reconcile(
    sale: &Sale,
    stock_total: &str,
    taken: &str,
    reserved_seen: &str,
) -> Vec<String> {
    Script::new(include_str!("../../../lua/reconcile.lua"))
        .key(&sale.keys.sale)
        .arg(stock_total)
        .arg(taken)
        .arg(reserved_seen)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sale_redis_does_not_hold_gets_an_empty_reply_and_nothing_is_written() {
    let sale = Sale::new().await;
    sale.put(&sale.keys.buyers, &[("alice", "2")]).await;
    let before = sale.snapshot().await;

    assert_eq!(reconcile(&sale, "10", "3", "3").await, Vec::<String>::new());

    assert_eq!(sale.snapshot().await, before, "reconcile wrote to Redis");
    sale.clean_up().await;
}

#[tokio::test]
async fn drifted_counters_are_reset_to_the_postgres_total_minus_what_was_taken() {
    let sale = Sale::new().await;
    // Redis missed a restock (total 8, not 10) and lost track of what is left.
    let drifted = [("stock_total", "8"), ("stock_left", "6"), ("reserved", "4")];
    sale.put_sale(&drifted).await;

    assert_eq!(reconcile(&sale, "10", "3", "4").await, ["6", "7"]);

    // What is left rose: a refill, for the proof of sold-out across buckets.
    let expected = [
        ("stock_total", "10"),
        ("stock_left", "7"),
        ("reserved", "3"),
        ("refills", "1"),
    ];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}

#[tokio::test]
async fn orders_accepted_since_the_caller_looked_stay_taken() {
    let sale = Sale::new().await;
    // The caller saw reserved = 4; two units were accepted since.
    sale.put_sale(&[("stock_left", "4"), ("reserved", "6")])
        .await;

    assert_eq!(reconcile(&sale, "10", "3", "4").await, ["4", "5"]);

    let expected = [("stock_left", "5"), ("reserved", "5"), ("refills", "1")];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}

#[tokio::test]
async fn a_bucket_of_a_split_sale_keeps_its_own_total() {
    let sale = Sale::new().await;
    // A bucket holding 8 (moves changed it) that forgot one order its buyers took.
    sale.put_sale(&[("stock_total", "8"), ("stock_left", "6"), ("reserved", "2")])
        .await;

    assert_eq!(reconcile(&sale, "", "3", "2").await, ["6", "5"]);

    let expected = [("stock_total", "8"), ("stock_left", "5"), ("reserved", "3")];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}

#[tokio::test]
async fn a_reserved_count_lower_than_the_caller_saw_gives_nothing_back() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "8"), ("reserved", "2")])
        .await;

    assert_eq!(reconcile(&sale, "10", "3", "4").await, ["8", "7"]);

    let expected = [("stock_left", "7"), ("reserved", "3")];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}

#[tokio::test]
async fn what_is_left_never_goes_below_zero() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "2"), ("reserved", "8")])
        .await;

    assert_eq!(reconcile(&sale, "10", "12", "8").await, ["2", "0"]);

    let expected = [("stock_left", "0"), ("reserved", "10")];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}
