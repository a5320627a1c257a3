//! Bounded integers of the API: how many units an order asks for, how much stock a sale has.
use super::ValidationError;
use serde::Serialize;

/// Units in one order, or a per-user limit: 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 1000;
    pub const ONE: Self = Self(1);

    pub fn parse(raw: i64, field: &str) -> Result<Self, ValidationError> {
        match u32::try_from(raw) {
            Ok(value) if (1..=Self::MAX).contains(&value) => Ok(Self(value)),
            _ => Err(ValidationError(format!(
                "{field} must be an integer from 1 to {}",
                Self::MAX
            ))),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A count of stock units: 0 to 1,000,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StockAmount(i64);

impl StockAmount {
    pub const MAX: i64 = 1_000_000_000;

    pub fn parse(raw: i64, field: &str, min: i64) -> Result<Self, ValidationError> {
        if (min..=Self::MAX).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(ValidationError(format!(
                "{field} must be an integer from {min} to {}",
                Self::MAX
            )))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::{Quantity, StockAmount};

    #[test]
    fn quantity_is_one_to_a_thousand() {
        assert_eq!(Quantity::parse(1, "quantity").unwrap().get(), 1);
        assert_eq!(Quantity::parse(1000, "quantity").unwrap().get(), 1000);
        for raw in [0, -1, 1001, i64::MAX, i64::MIN] {
            assert!(
                Quantity::parse(raw, "quantity").is_err(),
                "{raw} was accepted"
            );
        }
    }

    #[test]
    fn stock_respects_its_lower_bound_and_the_billion_cap() {
        assert!(StockAmount::parse(0, "stock", 0).is_ok());
        assert!(StockAmount::parse(0, "quantity", 1).is_err());
        assert!(StockAmount::parse(1_000_000_000, "stock", 0).is_ok());
        assert!(StockAmount::parse(1_000_000_001, "stock", 0).is_err());
        assert!(StockAmount::parse(-5, "stock", 0).is_err());
    }
}
