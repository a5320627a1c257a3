//! Parsing stream entries of both formats, and setting apart what does not parse.
use super::*;

fn entry(id: &str, fields: &[&str]) -> Value {
    let fields = fields
        .iter()
        .map(|f| Value::BulkString(f.as_bytes().to_vec()))
        .collect();
    Value::Array(vec![
        Value::BulkString(id.as_bytes().to_vec()),
        Value::Array(fields),
    ])
}

const ORDER: &str = "0190a8c4-4b6e-7000-8000-000000000001";

#[test]
fn fields_are_picked_by_name_in_any_order_and_unknown_ones_ignored() {
    let sale = SaleId::parse("s").unwrap();
    let entries = [entry(
        "1-0",
        &[
            "created_ms",
            "1700000000000",
            "note",
            "x",
            "quantity",
            "2",
            "user_id",
            "u1",
            "idempotency_key",
            "k",
            "order_id",
            ORDER,
        ],
    )];
    let batch = sale_batch(&sale, &entries);
    assert!(batch.malformed.is_empty());
    let order = &batch.orders[0];
    assert_eq!(order.entry_id, "1-0");
    assert_eq!(order.order.order_id.to_string(), ORDER);
    assert_eq!(order.order.user_id.as_str(), "u1");
    assert_eq!(order.order.quantity.get(), 2);
    assert_eq!(order.order.created_at.timestamp_millis(), 1_700_000_000_000);
    assert_eq!(order.order.idempotency_key.as_ref().unwrap().as_str(), "k");
}

#[test]
fn entries_missing_a_field_or_with_a_bad_value_are_malformed_with_their_fields() {
    let sale = SaleId::parse("s").unwrap();
    let complete = ["order_id", ORDER, "user_id", "u", "quantity", "1"];
    let entries = [
        entry("1-0", &complete),
        entry("2-0", &[&complete[..], &["created_ms", "soon"]].concat()),
        entry("3-0", &[&complete[..], &["created_ms"]].concat()),
        Value::Array(vec![Value::BulkString(b"4-0".to_vec()), Value::Nil]),
        entry("5-0", &[&complete[..], &["created_ms", "1"]].concat()),
    ];
    let batch = sale_batch(&sale, &entries);
    let ids: Vec<&str> = batch
        .malformed
        .iter()
        .map(|e| e.entry_id.as_str())
        .collect();
    assert_eq!(ids, ["1-0", "2-0", "3-0", "4-0"]);
    assert_eq!(
        batch.malformed[1].fields[3],
        ("created_ms".into(), "soon".into())
    );
    assert_eq!(batch.orders.len(), 1);
    assert_eq!(batch.orders[0].entry_id, "5-0");
}

const SECOND: &str = "0190a8c4-4b6e-7000-8000-000000000002";

#[test]
fn a_group_commit_entry_gives_each_of_its_lines_as_an_order_of_that_entry() {
    let sale = SaleId::parse("s").unwrap();
    let lines = format!("{ORDER}\tu1\t2\tkey-1\n{SECOND}\tu2\t1");
    let entries = [entry(
        "7-3",
        &["created_ms", "1700000000000", "orders", &lines],
    )];
    let batch = sale_batch(&sale, &entries);
    assert!(batch.malformed.is_empty());
    let orders: Vec<String> = batch
        .orders
        .iter()
        .map(|o| {
            let order = &o.order;
            format!(
                "{} {} {} {} {:?} {}",
                o.entry_id,
                order.order_id,
                order.user_id.as_str(),
                order.quantity.get(),
                order.idempotency_key.as_ref().map(|k| k.as_str()),
                order.created_at.timestamp_millis(),
            )
        })
        .collect();
    assert_eq!(
        orders,
        [
            format!("7-3 {ORDER} u1 2 Some(\"key-1\") 1700000000000"),
            format!("7-3 {SECOND} u2 1 None 1700000000000"),
        ]
    );
}

#[test]
fn a_group_commit_entry_with_one_bad_line_is_set_apart_whole() {
    let sale = SaleId::parse("s").unwrap();
    let good = format!("{ORDER}\tu1\t1");
    let bad_lines = [
        format!("{good}\n{SECOND}\tu2"),
        format!("{good}\n{SECOND}\tu2\t1\tkey\textra"),
        format!("{good}\n{SECOND}\tu2\tmany"),
        format!("{good}\n"),
        format!("{good}\nnot-a-uuid\tu2\t1"),
    ];
    let mut entries: Vec<Value> = bad_lines
        .iter()
        .enumerate()
        .map(|(i, lines)| entry(&format!("{i}-0"), &["created_ms", "1", "orders", lines]))
        .collect();
    entries.push(entry("9-0", &["orders", &good]));
    let batch = sale_batch(&sale, &entries);
    assert!(batch.orders.is_empty(), "{:?}", batch.orders);
    let ids: Vec<&str> = batch
        .malformed
        .iter()
        .map(|e| e.entry_id.as_str())
        .collect();
    assert_eq!(ids, ["0-0", "1-0", "2-0", "3-0", "4-0", "9-0"]);
    assert_eq!(
        batch.malformed[0].fields[1],
        ("orders".into(), bad_lines[0].clone())
    );
}
