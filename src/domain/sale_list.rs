//! Paging through every sale, newest first: the page size, the cursor, and one listed sale.
use super::{Buckets, SaleId, SaleState, ValidationError};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// Sales per page: 1 to 100, 20 when not given. Parses as `limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u8);

impl PageLimit {
    pub const DEFAULT: Self = Self(20);
    pub const MAX: u8 = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw.parse::<u8>() {
            Ok(value) if (1..=Self::MAX).contains(&value) => Ok(Self(value)),
            _ => Err(ValidationError::new(
                "limit",
                format!("must be an integer from 1 to {}", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> i64 {
        i64::from(self.0)
    }
}

/// Where a page ends: the last listed sale's creation time and id, which order the listing.
/// Clients get it as an opaque string and hand it back unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleCursor {
    pub created_at: DateTime<Utc>,
    pub id: SaleId,
}

impl SaleCursor {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new("cursor", "is not a cursor this API returned");
        let (micros, id) = raw.split_once('.').ok_or_else(invalid)?;
        let micros = micros.parse::<i64>().map_err(|_| invalid())?;
        Ok(Self {
            created_at: DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?,
            id: SaleId::parse(id).map_err(|_| invalid())?,
        })
    }

    /// The string `parse` reads back: sale ids never contain a dot.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at.timestamp_micros(), self.id)
    }
}

/// A sale as listed: what Postgres records, without the live stock (one Redis read per sale
/// would make a page cost a hundred round trips; `GET /admin/sales/{id}` has it).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SaleSummary {
    pub id: SaleId,
    pub name: String,
    pub stock_total: i64,
    pub per_user_limit: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub buckets: Buckets,
    /// By the window and the pause only: a sold-out sale shows as `active` here.
    pub state: SaleState,
    /// Quantity persisted as confirmed orders.
    pub confirmed: i64,
    pub created_at: DateTime<Utc>,
}

impl SaleSummary {
    pub fn cursor(&self) -> SaleCursor {
        SaleCursor {
            created_at: self.created_at,
            id: self.id.clone(),
        }
    }
}

/// The state the window and the pause give at `now`, in the order `lua/reserve.lua` checks.
pub fn window_state(
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    paused: bool,
    now: DateTime<Utc>,
) -> SaleState {
    if ends_at.is_some_and(|end| now >= end) {
        SaleState::Ended
    } else if paused {
        SaleState::Paused
    } else if now < starts_at {
        SaleState::Upcoming
    } else {
        SaleState::Active
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_outside_one_to_a_hundred_are_refused() {
        for raw in ["0", "101", "-1", "", "ten", "20.5", "999999999999"] {
            assert!(PageLimit::parse(raw).is_err(), "{raw}");
        }
        assert_eq!(PageLimit::parse("1").unwrap().get(), 1);
        assert_eq!(PageLimit::parse("100").unwrap().get(), 100);
    }

    #[test]
    fn a_cursor_reads_back_what_it_wrote_and_nothing_else() {
        let cursor = SaleCursor {
            created_at: DateTime::from_timestamp_micros(1_764_336_000_123_456).unwrap(),
            id: SaleId::parse("spring-1").unwrap(),
        };
        assert_eq!(SaleCursor::parse(&cursor.encode()), Ok(cursor));
        for raw in [
            "",
            "garbage",
            "12.",
            ".spring",
            "x.spring",
            "1.spr ing",
            "1.a.b",
        ] {
            assert!(SaleCursor::parse(raw).is_err(), "{raw}");
        }
    }
}
