//! `lua/restock.lua`: the total is raised to Postgres's and what is left grows with it; a total
//! Redis already has (a retry) or a lower one (a late call) changes nothing; a sale Redis does
//! not hold is left alone.
use super::{Sale, sale_hash};
use redis::Script;

async fn restock(sale: &Sale, stock_total: &str) -> i64 {
    Script::new(include_str!("../../../lua/restock.lua"))
        .key(&sale.keys.sale)
        .arg(stock_total)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap()
}

#[tokio::test]
async fn restocking_adds_to_the_total_and_to_what_is_left_and_returns_what_is_left() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "3"), ("reserved", "7")])
        .await;

    assert_eq!(restock(&sale, "15").await, 8);

    let expected = [
        ("stock_total", "15"),
        ("stock_left", "8"),
        ("reserved", "7"),
        ("refills", "1"),
    ];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}

#[tokio::test]
async fn restocking_a_sold_out_sale_makes_it_sellable_again() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "0"), ("reserved", "10")])
        .await;

    assert_eq!(restock(&sale, "11").await, 1);

    let expected = [
        ("stock_total", "11"),
        ("stock_left", "1"),
        ("reserved", "10"),
        ("refills", "1"),
    ];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}

#[tokio::test]
async fn restocking_a_sale_redis_does_not_hold_returns_minus_one_and_writes_nothing() {
    let sale = Sale::new().await;
    // What survived of the sale: its buyers and an order waiting for the persister.
    sale.put(&sale.keys.buyers, &[("alice", "2")]).await;
    sale.put(&sale.keys.pending, &[("o1", "alice\t2\t1")]).await;
    let before = sale.snapshot().await;

    assert_eq!(restock(&sale, "15").await, -1);

    assert_eq!(
        sale.snapshot().await,
        before,
        "a refused restock wrote to Redis"
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn a_total_redis_already_has_or_a_lower_one_changes_nothing() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "3"), ("reserved", "7")])
        .await;
    assert_eq!(restock(&sale, "15").await, 8);
    let after_first = sale.snapshot().await;

    assert_eq!(restock(&sale, "15").await, 8, "a retry");
    assert_eq!(
        restock(&sale, "12").await,
        8,
        "an older restock arriving late"
    );

    assert_eq!(sale.snapshot().await, after_first);
    sale.clean_up().await;
}
