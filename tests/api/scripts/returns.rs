//! `lua/return_stock.lua`: an ended hold's units back to the sale and to its buyer's allowance,
//! once per order however often it runs, and nothing written for a sale Redis does not hold.
use super::{Sale, sale_hash};
use redis::Script;

async fn give_back(sale: &Sale, order: &str, user: &str, quantity: i64) -> i64 {
    Script::new(include_str!("../../../lua/return_stock.lua"))
        .key(&sale.keys.sale)
        .key(&sale.keys.buyers)
        .key(&sale.keys.returns)
        .arg(order)
        .arg(user)
        .arg(quantity)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap()
}

#[tokio::test]
async fn an_ended_hold_comes_back_once_to_the_stock_and_to_its_buyer() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "7"), ("reserved", "3")])
        .await;
    sale.put(&sale.keys.buyers, &[("alice", "2"), ("bob", "1")])
        .await;

    assert_eq!(give_back(&sale, "o-1", "alice", 1).await, 1);
    assert_eq!(
        give_back(&sale, "o-1", "alice", 1).await,
        2,
        "a repeat is a no-op"
    );
    assert_eq!(give_back(&sale, "o-2", "bob", 1).await, 1);

    let expected = [("stock_left", "9"), ("reserved", "1"), ("refills", "2")];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    let buyers = sale.hgetall(&sale.keys.buyers).await;
    assert_eq!(buyers.get("alice").map(String::as_str), Some("1"));
    assert!(
        !buyers.contains_key("bob"),
        "a buyer with nothing left is dropped"
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn a_sale_redis_does_not_hold_gets_nothing_back_and_nothing_is_written() {
    let sale = Sale::new().await;
    let before = sale.snapshot().await;

    assert_eq!(give_back(&sale, "o-1", "alice", 1).await, 0);

    assert_eq!(sale.snapshot().await, before);
    assert!(!sale.exists(&sale.keys.returns).await);
    sale.clean_up().await;
}
