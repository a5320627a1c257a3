//! `SaleId`: the identifier of a sale, safe to embed in Redis keys and URLs.
use super::{Buckets, ValidationError};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// 1 to 64 characters of `[A-Za-z0-9_-]`. The restricted alphabet keeps ids usable inside a
/// Redis hash tag (`{id}`) and in URLs without escaping.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(transparent)]
pub struct SaleId(String);

/// Maps keyed by sale can be looked up with the path's text, without building an id.
impl std::borrow::Borrow<str> for SaleId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl SaleId {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
        if (1..=64).contains(&raw.len()) && raw.bytes().all(allowed) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "sale id",
                "must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-'",
            ))
        }
    }

    /// A fresh id for a sale created without one: time-ordered, so listings sort by creation.
    pub fn generate() -> Self {
        Self(uuid::Uuid::now_v7().simple().to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Bucket `bucket` of this sale as Redis names it: the sale itself for bucket 0, else
    /// `<id>/<bucket>`. The `/` cannot occur in a parsed id, so no sale is another's bucket;
    /// every per-sale Redis operation runs unchanged on a bucket.
    pub fn bucket(&self, bucket: u16) -> Self {
        match bucket {
            0 => self.clone(),
            _ => Self(format!("{}/{bucket}", self.0)),
        }
    }

    /// The sale a Redis name belongs to, and its bucket: the inverse of `bucket`.
    pub fn sale_and_bucket(&self) -> (Self, u16) {
        match self.0.rsplit_once('/') {
            Some((sale, bucket)) => (Self(sale.to_owned()), bucket.parse().unwrap_or(0)),
            None => (self.clone(), 0),
        }
    }

    /// The sale a Redis name belongs to (Postgres knows sales, not buckets).
    pub fn sale(&self) -> Self {
        self.sale_and_bucket().0
    }

    /// An id or a bucket's name, as Redis's index of sales holds them.
    pub fn parse_stored(raw: &str) -> Result<Self, ValidationError> {
        match raw.split_once('/') {
            Some((sale, bucket))
                if bucket
                    .parse::<u16>()
                    .is_ok_and(|b| (1..Buckets::MAX).contains(&b))
                    && bucket == bucket.trim_start_matches('0') =>
            {
                Ok(Self::parse(sale)?.bucket(bucket.parse().unwrap_or(0)))
            }
            _ => Self::parse(raw),
        }
    }
}

impl fmt::Display for SaleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::SaleId;

    #[test]
    fn accepts_the_documented_alphabet_up_to_64_characters() {
        assert!(SaleId::parse("Spring_sale-2026").is_ok());
        assert!(SaleId::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn refuses_empty_long_and_foreign_characters() {
        for raw in ["", &"a".repeat(65), "a b", "a{b}", "ä", "a:b"] {
            assert!(SaleId::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }

    #[test]
    fn a_buckets_name_leads_back_to_its_sale_and_is_never_a_parsed_id() {
        let sale = SaleId::parse("s-1").unwrap();
        assert_eq!(sale.bucket(0), sale);
        let third = sale.bucket(3);
        assert_eq!(third.as_str(), "s-1/3");
        assert_eq!(third.sale_and_bucket(), (sale.clone(), 3));
        assert_eq!(SaleId::parse_stored("s-1/3").unwrap(), third);
        assert_eq!(SaleId::parse_stored("s-1").unwrap(), sale);
        for raw in ["s-1/3", "s-1/0"] {
            assert!(SaleId::parse(raw).is_err());
        }
        for raw in ["s-1/0", "s-1/64", "s-1/03", "s-1/x", "/3", "s/1/2"] {
            assert!(SaleId::parse_stored(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn generated_ids_are_valid() {
        let id = SaleId::generate();
        assert_eq!(SaleId::parse(id.as_str()).unwrap(), id);
    }
}
