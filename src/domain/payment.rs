//! Payment holds: how long a buyer has to pay for what they won, and the payment service's
//! reference for a payment.
use super::ValidationError;
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Seconds from acceptance to the end of a hold: 10 to 86,400. Parses as `payment_window_s`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct PaymentWindow(u32);

impl PaymentWindow {
    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        match u32::try_from(raw) {
            Ok(seconds) if (10..=86_400).contains(&seconds) => Ok(Self(seconds)),
            _ => Err(ValidationError::new(
                "payment_window_s",
                "must be an integer from 10 to 86400",
            )),
        }
    }

    pub fn seconds(self) -> u32 {
        self.0
    }

    /// When a hold accepted at `created_at` ends: fixed then, never extended.
    pub fn expires_at(self, created_at: DateTime<Utc>) -> DateTime<Utc> {
        created_at + TimeDelta::seconds(i64::from(self.0))
    }
}

/// The payment service's reference for a payment: 1 to 128 printable characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(transparent)]
pub struct PaymentRef(String);

impl PaymentRef {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let printable = raw.chars().all(|c| !c.is_control());
        if (1..=128).contains(&raw.chars().count()) && printable {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "payment_ref",
                "must be 1 to 128 characters, none of them control characters",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_is_ten_seconds_to_a_day_and_ends_the_hold_that_long_after() {
        for raw in [9, 86_401, -1, 0] {
            assert!(PaymentWindow::parse(raw).is_err(), "{raw}");
        }
        let window = PaymentWindow::parse(600).unwrap();
        let accepted = DateTime::from_timestamp(1_000, 0).unwrap();
        assert_eq!(window.expires_at(accepted).timestamp(), 1_600);
        assert_eq!(PaymentWindow::parse(10).unwrap().seconds(), 10);
    }

    #[test]
    fn a_payment_ref_is_one_to_128_printable_characters() {
        assert!(PaymentRef::parse("pi_3NxY").is_ok());
        assert!(PaymentRef::parse(&"é".repeat(128)).is_ok());
        for bad in ["", "a\nb", &"x".repeat(129)] {
            assert!(PaymentRef::parse(bad).is_err(), "{bad:?}");
        }
    }
}
