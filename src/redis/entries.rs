//! How orders are encoded in a sale's stream entries and pending-order records, both written by
//! `lua/reserve.lua`: parsing them into domain types, once, with anything unparsable set apart.
use crate::domain::{
    AcceptedOrder, DeadEntry, OrderId, Quantity, SaleBatch, SaleId, StreamOrder, UserId,
};
use chrono::{DateTime, Utc};
use redis::streams::StreamId;

pub fn sale_batch(sale: &SaleId, entries: &[StreamId]) -> SaleBatch {
    let mut batch = SaleBatch {
        sale: sale.clone(),
        orders: Vec::with_capacity(entries.len()),
        malformed: Vec::new(),
    };
    for entry in entries {
        match parse_entry(entry) {
            Some(order) => batch.orders.push(StreamOrder {
                entry_id: entry.id.clone(),
                order,
            }),
            None => batch.malformed.push(DeadEntry {
                entry_id: entry.id.clone(),
                fields: entry
                    .map
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            redis::from_redis_value_ref(v).unwrap_or_default(),
                        )
                    })
                    .collect(),
            }),
        }
    }
    batch
}

pub(super) fn parse_entry(entry: &StreamId) -> Option<AcceptedOrder> {
    let created_ms: i64 = entry.get("created_ms")?;
    Some(AcceptedOrder {
        order_id: OrderId::parse(&entry.get::<String>("order_id")?).ok()?,
        user_id: UserId::parse(entry.get("user_id")?).ok()?,
        quantity: Quantity::parse(entry.get("quantity")?).ok()?,
        created_at: DateTime::from_timestamp_millis(created_ms)?,
    })
}

/// An order's entry as the dead-letter stream keeps it: the fields it was read with.
pub fn dead_entry(order: &StreamOrder) -> DeadEntry {
    let accepted = &order.order;
    let fields = [
        ("order_id", accepted.order_id.to_string()),
        ("user_id", accepted.user_id.as_str().to_owned()),
        ("quantity", accepted.quantity.get().to_string()),
        (
            "created_ms",
            accepted.created_at.timestamp_millis().to_string(),
        ),
    ];
    DeadEntry {
        entry_id: order.entry_id.clone(),
        fields: fields.map(|(k, v)| (k.to_owned(), v)).to_vec(),
    }
}

/// A pending-order record: "user_id \t quantity \t created_ms".
pub fn parse_pending(order_id: OrderId, raw: &str) -> Option<AcceptedOrder> {
    let mut parts = raw.split('\t');
    let user_id = UserId::parse(parts.next()?.to_owned()).ok()?;
    let quantity = Quantity::parse(parts.next()?.parse().ok()?).ok()?;
    let created_at = DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
    Some(AcceptedOrder {
        order_id,
        user_id,
        quantity,
        created_at,
    })
}

/// When a stream entry was added: the first half of its id, in milliseconds since the epoch.
pub fn entry_time(entry_id: &str) -> Option<DateTime<Utc>> {
    let millis = entry_id.split('-').next()?.parse().ok()?;
    DateTime::from_timestamp_millis(millis)
}
