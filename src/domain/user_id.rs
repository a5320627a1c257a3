//! `UserId`: the buyer an order is for.
use super::ValidationError;
use serde::Serialize;
use utoipa::ToSchema;

/// 1 to 64 characters with no control characters. Tabs are control characters, which is what
/// lets the Redis scripts use them as field separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(transparent)]
pub struct UserId(String);

impl UserId {
    pub fn parse(raw: String) -> Result<Self, ValidationError> {
        let length = raw.chars().count();
        if !(1..=64).contains(&length) {
            return Err(ValidationError::new(
                "user_id",
                "must be 1 to 64 characters long",
            ));
        }
        if raw.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "user_id",
                "must not contain control characters",
            ));
        }
        Ok(Self(raw))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::UserId;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(UserId::parse("é".repeat(64)).is_ok());
        assert!(UserId::parse("é".repeat(65)).is_err());
    }

    #[test]
    fn refuses_empty_and_control_characters() {
        for raw in ["", "a\tb", "a\nb", "\u{7f}", "\u{85}"] {
            assert!(UserId::parse(raw.into()).is_err(), "{raw:?} was accepted");
        }
    }
}
