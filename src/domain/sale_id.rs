//! `SaleId`: the identifier of a sale, safe to embed in Redis keys and URLs.
use super::ValidationError;
use serde::Serialize;
use std::fmt;

/// 1 to 64 characters of `[A-Za-z0-9_-]`. The restricted alphabet keeps ids usable inside a
/// Redis hash tag (`{id}`) and in URLs without escaping.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct SaleId(String);

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
    fn generated_ids_are_valid() {
        let id = SaleId::generate();
        assert_eq!(SaleId::parse(id.as_str()).unwrap(), id);
    }
}
