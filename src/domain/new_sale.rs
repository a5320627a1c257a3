//! `NewSale`: a validated request to create a sale.
use super::{
    Buckets, PaymentWindow, Quantity, SaleDefinition, SaleId, StockAmount, ValidationError,
};
use chrono::{DateTime, SubsecRound, Utc};
use serde::Deserialize;
use utoipa::ToSchema;

/// The body of `POST /admin/sales` as sent; unknown fields are ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"id": "summer-drop", "name": "Summer drop", "stock": 500, "per_user_limit": 2}))]
pub struct NewSaleRequest {
    /// Generated (a UUIDv7 without hyphens) when absent.
    #[schema(pattern = "^[A-Za-z0-9_-]{1,64}$")]
    pub id: Option<String>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    pub stock: i64,
    /// Units one buyer may hold in all (1 when absent).
    #[schema(minimum = 1, maximum = 1000)]
    pub per_user_limit: Option<i64>,
    /// RFC 3339; now when absent. Kept to the millisecond.
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    /// RFC 3339, after `starts_at`; the sale runs until sold out when absent.
    #[schema(format = DateTime)]
    pub ends_at: Option<String>,
    /// Redis stock counters to split the sale over (1 when absent).
    // Any JSON value, so that a string or a fraction is refused naming the field: serde's own
    // type error would not name it.
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 64)]
    pub buckets: Option<serde_json::Value>,
    /// Seconds a buyer has to pay for a hold; orders are final when absent.
    // As `buckets`: any JSON value, refused naming the field unless an integer in range.
    #[schema(value_type = Option<i64>, minimum = 10, maximum = 86_400)]
    pub payment_window_s: Option<serde_json::Value>,
}

/// A sale definition that passed every rule of the contract.
#[derive(Debug, Clone)]
pub struct NewSale {
    pub definition: SaleDefinition,
    /// Whether the request named its start (else it starts now, which a retry cannot repeat).
    start_given: bool,
}

impl NewSale {
    pub fn parse(request: NewSaleRequest, now: DateTime<Utc>) -> Result<Self, ValidationError> {
        let id = match request.id {
            Some(raw) => SaleId::parse(&raw)?,
            None => SaleId::generate(),
        };
        let name = request.name.unwrap_or_default();
        if name.chars().count() > 200 {
            return Err(ValidationError::new(
                "name",
                "must be at most 200 characters",
            ));
        }
        let stock_total = StockAmount::parse(request.stock)?;
        let per_user_limit = match request.per_user_limit {
            Some(raw) => Quantity::parse(raw).map_err(|e| e.for_field("per_user_limit"))?,
            None => Quantity::ONE,
        };
        let start_given = request.starts_at.is_some();
        let starts_at = match request.starts_at {
            Some(raw) => parse_timestamp(&raw, "starts_at")?,
            None => now.trunc_subsecs(3),
        };
        let ends_at = request
            .ends_at
            .map(|raw| parse_timestamp(&raw, "ends_at"))
            .transpose()?;
        if ends_at.is_some_and(|end| end <= starts_at) {
            return Err(ValidationError::new("ends_at", "must be after starts_at"));
        }
        // A value that is no integer breaks the same rule as one out of range.
        let buckets = match request.buckets {
            Some(raw) => Buckets::parse(raw.as_i64().unwrap_or(0))?,
            None => Buckets::ONE,
        };
        let payment_window = request
            .payment_window_s
            .map(|raw| PaymentWindow::parse(raw.as_i64().unwrap_or(0)))
            .transpose()?;
        Ok(Self {
            definition: SaleDefinition {
                id,
                name,
                stock_total,
                per_user_limit,
                starts_at,
                ends_at,
                buckets,
                payment_window,
            },
            start_given,
        })
    }

    /// Whether `existing` is this very sale, created by an earlier try of the same request:
    /// then creating it again is a retry to complete, not a conflict.
    pub fn is_retry_of(&self, existing: &SaleDefinition) -> bool {
        let new = &self.definition;
        new.id == existing.id
            && new.name == existing.name
            && new.stock_total == existing.stock_total
            && new.per_user_limit == existing.per_user_limit
            && new.ends_at == existing.ends_at
            && new.buckets == existing.buckets
            && new.payment_window == existing.payment_window
            && (!self.start_given || new.starts_at == existing.starts_at)
    }
}

/// Timestamps keep millisecond precision: what Redis's clock and keys work in.
fn parse_timestamp(raw: &str, field: &'static str) -> Result<DateTime<Utc>, ValidationError> {
    DateTime::parse_from_rfc3339(raw)
        .map(|t| t.with_timezone(&Utc).trunc_subsecs(3))
        .map_err(|_| ValidationError::new(field, "must be an RFC 3339 timestamp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(stock: i64) -> NewSaleRequest {
        NewSaleRequest {
            id: None,
            name: None,
            stock,
            per_user_limit: None,
            starts_at: None,
            ends_at: None,
            buckets: None,
            payment_window_s: None,
        }
    }

    #[test]
    fn defaults_fill_what_is_absent() {
        let now = Utc::now();
        let sale = NewSale::parse(request(5), now).unwrap().definition;
        assert_eq!(sale.per_user_limit, Quantity::ONE);
        assert_eq!(sale.starts_at, now.trunc_subsecs(3));
        assert_eq!(sale.ends_at, None);
        assert_eq!(sale.name, "");
        assert_eq!(sale.buckets, Buckets::ONE);
    }

    #[test]
    fn buckets_are_an_integer_from_one_to_sixty_four() {
        let parsed = |raw: serde_json::Value| {
            let mut split = request(5);
            split.buckets = Some(raw);
            NewSale::parse(split, Utc::now()).map(|sale| sale.definition.buckets.get())
        };
        assert_eq!(parsed(1.into()), Ok(1));
        assert_eq!(parsed(64.into()), Ok(64));
        for bad in [
            0.into(),
            65.into(),
            (-1).into(),
            "8".into(),
            1.5.into(),
            8.0.into(),
        ] {
            let error = parsed(bad).unwrap_err().to_string();
            assert!(error.starts_with("buckets "), "{error}");
        }
    }

    #[test]
    fn a_retry_must_ask_for_the_same_buckets() {
        let now = Utc::now();
        let mut first = request(5);
        first.id = Some("split".into());
        first.buckets = Some(8.into());
        let sale = NewSale::parse(first, now).unwrap();
        let mut other = sale.definition.clone();
        assert!(sale.is_retry_of(&other));
        other.buckets = Buckets::parse(4).unwrap();
        assert!(!sale.is_retry_of(&other));
        other.buckets = Buckets::ONE;
        assert!(!sale.is_retry_of(&other));
    }

    #[test]
    fn the_window_must_not_be_empty_or_inverted() {
        let mut inverted = request(5);
        inverted.starts_at = Some("2030-01-01T10:00:00Z".into());
        inverted.ends_at = Some("2030-01-01T10:00:00+00:00".into());
        assert!(NewSale::parse(inverted, Utc::now()).is_err());
    }

    #[test]
    fn refuses_bad_timestamps_names_and_limits() {
        let mut bad_time = request(5);
        bad_time.starts_at = Some("tomorrow".into());
        let mut long_name = request(5);
        long_name.name = Some("n".repeat(201));
        let mut zero_limit = request(5);
        zero_limit.per_user_limit = Some(0);
        for bad in [bad_time, long_name, zero_limit, request(-1)] {
            assert!(NewSale::parse(bad, Utc::now()).is_err());
        }
    }
}
