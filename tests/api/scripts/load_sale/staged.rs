//! `lua/load_sale.lua` and the buyers a preload stages: they fill in a lost sale, each keeping
//! the larger of its staged and surviving count, never touch a live one, and are dropped after.
use super::super::Sale;
use super::{load, staged};

#[tokio::test]
async fn staged_buyers_fill_in_a_lost_sale_keeping_the_larger_count_and_are_dropped_after() {
    let sale = Sale::new().await;
    // What survived of the buyers hash, and what Postgres says.
    sale.put(&sale.keys.buyers, &[("alice", "3"), ("bob", "1")])
        .await;
    sale.put(
        &staged(&sale),
        &[("alice", "2"), ("bob", "2"), ("carol", "1")],
    )
    .await;

    assert_eq!(load(&sale, "7", "5").await, "loaded");

    let buyers = [("alice", "3"), ("bob", "2"), ("carol", "1")];
    assert_eq!(
        sale.hgetall(&sale.keys.buyers).await,
        super::super::fields(&buyers)
    );
    assert!(
        !sale.exists(&staged(&sale)).await,
        "the staging key was left"
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn staged_buyers_never_touch_a_live_sale() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "4"), ("reserved", "6")])
        .await;
    sale.put(&sale.keys.buyers, &[("alice", "3")]).await;
    sale.put(&staged(&sale), &[("alice", "1"), ("bob", "2")])
        .await;

    assert_eq!(load(&sale, "10", "0").await, "kept");

    assert_eq!(
        sale.hgetall(&sale.keys.buyers).await,
        super::super::fields(&[("alice", "3")])
    );
    assert!(
        !sale.exists(&staged(&sale)).await,
        "the staging key was left"
    );
    sale.clean_up().await;
}
