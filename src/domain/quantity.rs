//! Bounded integers of the API: how many units an order asks for, how much stock a sale has.
use super::ValidationError;
use serde::Serialize;
use utoipa::ToSchema;

/// Units in one order, or a per-user limit: 1 to 1000. Parses as `quantity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(transparent)]
pub struct Quantity(u32);

impl Quantity {
    pub const MAX: u32 = 1000;
    pub const ONE: Self = Self(1);

    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        match u32::try_from(raw) {
            Ok(value) if (1..=Self::MAX).contains(&value) => Ok(Self(value)),
            _ => Err(out_of_range("quantity", 1, Self::MAX.into())),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A count of stock units: 0 to 1,000,000,000. Parses as `stock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct StockAmount(i64);

impl StockAmount {
    pub const MAX: i64 = 1_000_000_000;

    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        if (0..=Self::MAX).contains(&raw) {
            Ok(Self(raw))
        } else {
            Err(out_of_range("stock", 0, Self::MAX))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// Stock added to a sale by a restock: 1 to 1,000,000,000. Parses as `quantity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StockIncrease(StockAmount);

impl StockIncrease {
    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        match StockAmount::parse(raw) {
            Ok(amount) if raw > 0 => Ok(Self(amount)),
            _ => Err(out_of_range("quantity", 1, StockAmount::MAX)),
        }
    }

    pub fn get(self) -> i64 {
        self.0.get()
    }
}

fn out_of_range(field: &'static str, min: i64, max: i64) -> ValidationError {
    ValidationError::new(field, format!("must be an integer from {min} to {max}"))
}

#[cfg(test)]
mod tests {
    use super::{Quantity, StockAmount, StockIncrease};

    #[test]
    fn quantity_is_one_to_a_thousand() {
        assert_eq!(Quantity::parse(1).unwrap().get(), 1);
        assert_eq!(Quantity::parse(1000).unwrap().get(), 1000);
        for raw in [0, -1, 1001, i64::MAX, i64::MIN] {
            assert!(Quantity::parse(raw).is_err(), "{raw} was accepted");
        }
    }

    #[test]
    fn stock_respects_its_lower_bound_and_the_billion_cap() {
        assert!(StockAmount::parse(0).is_ok());
        assert!(StockIncrease::parse(0).is_err());
        assert!(StockIncrease::parse(1).is_ok());
        assert!(StockAmount::parse(1_000_000_000).is_ok());
        assert!(StockAmount::parse(1_000_000_001).is_err());
        assert!(StockIncrease::parse(1_000_000_001).is_err());
        assert!(StockAmount::parse(-5).is_err());
    }
}
