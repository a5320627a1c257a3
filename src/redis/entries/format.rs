//! The two shapes of an orders-stream entry. `lua/reserve.lua` writes one entry per group
//! commit: `created_ms` and `orders`, a line per order ("order_id \t user_id \t quantity", then
//! "\t key" when it has one). An entry with one order's fields by name (`order_id`, `user_id`,
//! `quantity`, `created_ms`, optionally `idempotency_key`) is what dead letters replay, and what
//! streams written before group commits hold.
use crate::domain::{AcceptedOrder, IdempotencyKey, OrderId, Quantity, UserId};
use chrono::DateTime;

/// The orders an entry carries, from its fields picked by name; other fields are ignored (dead
/// letters add `entry_id` and `reason`). `None` when a field is missing or a value does not
/// parse, in any of its orders.
pub fn parse_orders<'a>(
    fields: impl Iterator<Item = (Option<&'a [u8]>, Option<&'a [u8]>)>,
) -> Option<Vec<AcceptedOrder>> {
    let (mut order_id, mut user_id, mut quantity, mut created_ms, mut key, mut lines) =
        (None, None, None, None, None, None);
    for (name, value) in fields {
        let slot = match name? {
            b"order_id" => &mut order_id,
            b"user_id" => &mut user_id,
            b"quantity" => &mut quantity,
            b"created_ms" => &mut created_ms,
            b"idempotency_key" => &mut key,
            b"orders" => &mut lines,
            _ => continue,
        };
        *slot = Some(value?);
    }
    let created_ms = created_ms?;
    if let Some(lines) = lines {
        return lines
            .split(|byte| *byte == b'\n')
            .map(|line| {
                let mut parts = line.split(|byte| *byte == b'\t');
                let order = (parts.next()?, parts.next()?, parts.next()?, parts.next());
                match parts.next() {
                    Some(_) => None,
                    None => order_from(order.0, order.1, order.2, created_ms, order.3),
                }
            })
            .collect();
    }
    Some(vec![order_from(
        order_id?, user_id?, quantity?, created_ms, key,
    )?])
}

fn order_from(
    order_id: &[u8],
    user_id: &[u8],
    quantity: &[u8],
    created_ms: &[u8],
    key: Option<&[u8]>,
) -> Option<AcceptedOrder> {
    let number = |raw: &[u8]| std::str::from_utf8(raw).ok()?.parse::<i64>().ok();
    Some(AcceptedOrder {
        order_id: OrderId::parse(std::str::from_utf8(order_id).ok()?).ok()?,
        user_id: UserId::parse(String::from_utf8(user_id.to_vec()).ok()?).ok()?,
        quantity: Quantity::parse(number(quantity)?).ok()?,
        created_at: DateTime::from_timestamp_millis(number(created_ms)?)?,
        idempotency_key: match key {
            Some(raw) => Some(IdempotencyKey::parse(raw).ok()?),
            None => None,
        },
    })
}
