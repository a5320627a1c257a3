//! `lua/reserve.lua` and idempotency keys, scoped by buyer: a buyer's retry gets its original
//! answer, its reuse for another quantity is refused, and another buyer's use of the same key is
//! an order of its own.
use super::reserve::{assert_refused, reserve};
use super::{Sale, fields, sale_hash};

/// Alice's order of 2 with `key-1`, as the script records it: field, value, order id.
fn alices_record() -> (String, String, String) {
    let order_id = uuid::Uuid::now_v7().to_string();
    let value = format!("{order_id}\talice\t2\t1700000000000");
    ("alice\tkey-1".to_owned(), value, order_id)
}

/// Writes Alice's record into the sale's idempotency hash; returns its order id.
async fn put_alices_record(sale: &Sale) -> String {
    let (field, original, order_id) = alices_record();
    sale.put(
        &sale.keys.idempotency,
        &[(field.as_str(), original.as_str())],
    )
    .await;
    order_id
}

#[tokio::test]
async fn a_repeated_key_gets_its_original_answer_even_after_the_sale_sold_out_and_ended() {
    let sale = Sale::new().await;
    sale.put_sale(&[("stock_left", "0"), ("reserved", "10"), ("ends_at", "2000")])
        .await;
    let order_id = put_alices_record(&sale).await;
    let before = sale.snapshot().await;

    let (_, reply) = reserve(&sale, "alice", "2", "key-1").await;

    assert_eq!(reply, ["replayed", order_id.as_str(), "1700000000000"]);
    assert_eq!(sale.snapshot().await, before, "a replay wrote to Redis");
    sale.clean_up().await;
}

#[tokio::test]
async fn a_key_reused_by_its_buyer_for_another_quantity_is_refused() {
    let sale = Sale::new().await;
    sale.put_sale(&[]).await;
    put_alices_record(&sale).await;

    assert_refused(&sale, "alice", "1", "key-1", "idempotency_key_reused").await;
    sale.clean_up().await;
}

#[tokio::test]
async fn another_buyers_use_of_a_key_is_a_new_order_recorded_under_that_buyer() {
    let sale = Sale::new().await;
    sale.put_sale(&[]).await;
    let (field, original, _) = alices_record();
    sale.put(
        &sale.keys.idempotency,
        &[(field.as_str(), original.as_str())],
    )
    .await;

    let (bobs_order, reply) = reserve(&sale, "bob", "2", "key-1").await;
    let (_, retry) = reserve(&sale, "bob", "2", "key-1").await;

    assert_eq!(reply[..2], ["accepted", bobs_order.as_str()]);
    assert_eq!(retry, ["replayed", bobs_order.as_str(), reply[2].as_str()]);
    let bobs = format!("{bobs_order}\tbob\t2\t{}", reply[2]);
    assert_eq!(
        sale.hgetall(&sale.keys.idempotency).await,
        fields(&[
            (field.as_str(), original.as_str()),
            ("bob\tkey-1", bobs.as_str())
        ])
    );
    let expected_sale = sale_hash(&[("stock_left", "8"), ("reserved", "2")]);
    assert_eq!(sale.hgetall(&sale.keys.sale).await, expected_sale);
    sale.clean_up().await;
}

/// A sale loaded before keys were scoped by buyer keeps its bare-key records until it ends.
#[tokio::test]
async fn a_bare_key_record_from_before_the_scoping_counts_for_its_buyer_only() {
    let sale = Sale::new().await;
    sale.put_sale(&[]).await;
    let (_, original, order_id) = alices_record();
    sale.put(&sale.keys.idempotency, &[("key-1", original.as_str())])
        .await;

    let (_, replay) = reserve(&sale, "alice", "2", "key-1").await;
    assert_refused(&sale, "alice", "1", "key-1", "idempotency_key_reused").await;
    let (bobs_order, bobs) = reserve(&sale, "bob", "2", "key-1").await;

    assert_eq!(replay, ["replayed", order_id.as_str(), "1700000000000"]);
    assert_eq!(bobs[..2], ["accepted", bobs_order.as_str()]);
    let bobs = format!("{bobs_order}\tbob\t2\t{}", bobs[2]);
    assert_eq!(
        sale.hgetall(&sale.keys.idempotency).await,
        fields(&[("key-1", original.as_str()), ("bob\tkey-1", bobs.as_str())])
    );
    sale.clean_up().await;
}

#[tokio::test]
async fn a_sale_redis_does_not_hold_is_not_found_even_for_a_key_it_saw() {
    let sale = Sale::new().await;
    put_alices_record(&sale).await;

    assert_refused(&sale, "alice", "2", "key-1", "sale_not_found").await;
    assert_refused(&sale, "alice", "2", "", "sale_not_found").await;
    sale.clean_up().await;
}
