//! Entries of a sale's orders stream, as the persister receives them: orders, or entries that
//! will never become one.
use super::{AcceptedOrder, SaleId};

/// One accepted order and the stream entry that carried it (acknowledged after its commit).
#[derive(Debug, Clone)]
pub struct StreamOrder {
    pub entry_id: String,
    pub order: AcceptedOrder,
}

/// The entries read from one sale's stream.
#[derive(Debug, Clone)]
pub struct SaleBatch {
    pub sale: SaleId,
    pub orders: Vec<StreamOrder>,
    /// Entries that cannot be parsed into an order.
    pub malformed: Vec<DeadEntry>,
}

/// An entry that will never become an order row, with its fields as read.
#[derive(Debug, Clone)]
pub struct DeadEntry {
    pub entry_id: String,
    pub fields: Vec<(String, String)>,
}
