//! `lua/take_stock.lua` and `lua/give_stock.lua`, the two steps of moving stock between the
//! buckets of a split sale, and `lua/survey_bucket.lua`, which reads a bucket for the proof of
//! sold-out. One fixture plays donor and recipient: the scripts only see the keys given.
use super::{Sale, sale_hash};
use redis::Script;

async fn take(sale: &Sale, id: &str, needed: i64) -> i64 {
    Script::new(include_str!("../../../lua/take_stock.lua"))
        .key(&sale.keys.sale)
        .key(&sale.keys.moves_out)
        .arg(id)
        .arg(3)
        .arg(needed)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap()
}

async fn give(sale: &Sale, id: &str, quantity: i64) -> i64 {
    Script::new(include_str!("../../../lua/give_stock.lua"))
        .key(&sale.keys.sale)
        .key(&sale.keys.moves_in)
        .arg(id)
        .arg(quantity)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap()
}

async fn survey(sale: &Sale) -> Vec<String> {
    Script::new(include_str!("../../../lua/survey_bucket.lua"))
        .key(&sale.keys.sale)
        .key(&sale.keys.moves_out)
        .invoke_async(&mut sale.redis.clone())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_take_is_what_is_needed_or_half_the_donor_recorded_with_its_recipient() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "10"), ("reserved", "0")])
        .await;

    assert_eq!(
        take(&sale, "m1", 2).await,
        5,
        "half of 10 beats the 2 needed"
    );
    assert_eq!(take(&sale, "m2", 7).await, 5, "never more than is left");
    let before = sale.snapshot().await;
    assert_eq!(take(&sale, "m3", 1).await, 0);
    assert_eq!(
        sale.snapshot().await,
        before,
        "an empty donor writes nothing"
    );

    let expected = [("stock_total", "0"), ("stock_left", "0")];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    let moves = sale.hgetall(&sale.keys.moves_out).await;
    assert_eq!(moves.get("m1").map(String::as_str), Some("3\t5"));
    assert_eq!(moves.get("m2").map(String::as_str), Some("3\t5"));
    assert_eq!(
        survey(&sale).await.len(),
        3 + 4,
        "counters, then both open moves"
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn a_move_is_given_once_however_often_it_runs() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "2"), ("reserved", "8")])
        .await;

    assert_eq!(give(&sale, "m1", 5).await, 1);
    let after_first = sale.snapshot().await;
    assert_eq!(give(&sale, "m1", 5).await, 1);
    assert_eq!(
        sale.snapshot().await,
        after_first,
        "the repeat changed nothing"
    );

    let expected = [
        ("stock_total", "15"),
        ("stock_left", "7"),
        ("reserved", "8"),
        ("refills", "1"),
    ];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    assert_eq!(survey(&sale).await, ["7", "1", "15"]);
    sale.clean_up().await;
}

#[tokio::test]
async fn a_surplus_taken_back_never_leaves_less_than_nothing() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "3"), ("reserved", "7")])
        .await;

    assert_eq!(give(&sale, "surplus", -5).await, 1);

    let expected = [("stock_total", "7"), ("stock_left", "0"), ("reserved", "7")];
    assert_eq!(sale.hgetall(&sale.keys.sale).await, sale_hash(&expected));
    sale.clean_up().await;
}

#[tokio::test]
async fn a_bucket_redis_does_not_hold_gets_nothing_and_reads_empty() {
    let sale = Sale::new().await;
    let before = sale.snapshot().await;

    assert_eq!(give(&sale, "m1", 5).await, 0);
    assert_eq!(take(&sale, "m2", 5).await, 0);
    assert!(survey(&sale).await.is_empty());
    assert_eq!(sale.snapshot().await, before);
    sale.clean_up().await;
}
