//! Validated values. Each type parses raw input once, at the edge, and the rest of the code
//! relies on its invariants instead of checking again ("parse, don't validate").
mod buckets;
mod dead_letter;
mod idempotency_key;
mod new_sale;
mod order;
mod order_entry;
mod payment;
mod quantity;
mod reservation;
mod sale;
mod sale_id;
mod sale_list;
mod user_id;

pub use buckets::Buckets;
pub use dead_letter::{
    DeadLetter, DeadLetterId, DeadLetterLimit, MAX_DEAD_LETTERS_PER_CALL, Replayed,
};
pub use idempotency_key::IdempotencyKey;
pub use new_sale::{NewSale, NewSaleRequest};
pub use order::{AcceptedOrder, Order, OrderId, OrderStatus};
pub use order_entry::{DeadEntry, SaleBatch, StreamOrder};
pub use payment::{PaymentRef, PaymentWindow};
pub use quantity::{Quantity, StockAmount, StockIncrease};
pub use reservation::{OrderAttempt, Refusal, Reservation};
pub use sale::{LiveSale, Sale, SaleDefinition, SaleState};
pub use sale_id::SaleId;
pub use sale_list::{PageLimit, SaleCursor, SaleSummary, window_state};
pub use user_id::UserId;

/// Why a raw value was refused; the text is shown to the client, so it names the field and the
/// rule and never echoes internal state. Every newtype's `parse` takes one raw value and fails
/// with this, naming the field it usually comes from; `for_field` renames it where the same
/// type parses another field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field} {rule}")]
pub struct ValidationError {
    field: &'static str,
    rule: String,
}

impl ValidationError {
    pub fn new(field: &'static str, rule: impl Into<String>) -> Self {
        Self {
            field,
            rule: rule.into(),
        }
    }

    pub fn for_field(self, field: &'static str) -> Self {
        Self { field, ..self }
    }
}
