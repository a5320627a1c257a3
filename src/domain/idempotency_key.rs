//! `IdempotencyKey`: the client's token that makes a retried order safe.
use super::ValidationError;

/// 1 to 128 visible ASCII characters (`!` to `~`), as sent in the `Idempotency-Key` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &[u8]) -> Result<Self, ValidationError> {
        if (1..=128).contains(&raw.len()) && raw.iter().all(u8::is_ascii_graphic) {
            // Every byte is visible ASCII, so this cannot fail.
            Ok(Self(String::from_utf8_lossy(raw).into_owned()))
        } else {
            Err(ValidationError::new(
                "Idempotency-Key",
                "must be 1 to 128 visible ASCII characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::IdempotencyKey;

    #[test]
    fn accepts_visible_ascii_up_to_128() {
        assert!(IdempotencyKey::parse(b"order-42_!~").is_ok());
        assert!(IdempotencyKey::parse("k".repeat(128).as_bytes()).is_ok());
    }

    #[test]
    fn refuses_empty_long_spaces_and_non_ascii() {
        let long = "k".repeat(129);
        for raw in [&b""[..], long.as_bytes(), b"a b", "é".as_bytes(), b"a\tb"] {
            assert!(IdempotencyKey::parse(raw).is_err(), "{raw:?} was accepted");
        }
    }
}
