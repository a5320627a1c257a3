//! Dead letters as operators see them: entries the persister gave up on, the ids that name
//! them, and what a replay did.
use super::{Buckets, ValidationError};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Most dead letters listed, or named for replay, in one call.
pub const MAX_DEAD_LETTERS_PER_CALL: usize = 100;

/// The id of an entry of a dead-letter stream: a Redis stream id, `<milliseconds>-<sequence>`,
/// prefixed `<bucket>/` for the dead letters of bucket 1 or above of a sale split over buckets
/// (each bucket has its own stream, so stream ids alone could name two letters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, ToSchema)]
#[serde(transparent)]
pub struct DeadLetterId(String);

impl DeadLetterId {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let stream_id = match raw.split_once('/') {
            Some((bucket, stream_id))
                if bucket
                    .parse::<u16>()
                    .is_ok_and(|b| (1..Buckets::MAX).contains(&b))
                    && !bucket.starts_with('0') =>
            {
                stream_id
            }
            Some(_) => return Err(Self::invalid()),
            None => raw,
        };
        let number = |part: &str| {
            (1..=20).contains(&part.len())
                && part.bytes().all(|b| b.is_ascii_digit())
                && part.parse::<u64>().is_ok()
        };
        match stream_id.split_once('-') {
            Some((millis, sequence)) if number(millis) && number(sequence) => {
                Ok(Self(raw.to_owned()))
            }
            _ => Err(Self::invalid()),
        }
    }

    fn invalid() -> ValidationError {
        ValidationError::new(
            "ids",
            "must be dead-letter ids such as \"1700000000000-0\" or \"3/1700000000000-0\"",
        )
    }

    /// The letter `stream_id` of bucket `bucket`'s dead-letter stream.
    pub fn in_bucket(bucket: u16, stream_id: &str) -> Self {
        match bucket {
            0 => Self(stream_id.to_owned()),
            _ => Self(format!("{bucket}/{stream_id}")),
        }
    }

    /// The bucket whose stream holds the letter (0 for a sale that is not split).
    pub fn bucket(&self) -> u16 {
        self.0
            .split_once('/')
            .and_then(|(bucket, _)| bucket.parse().ok())
            .unwrap_or(0)
    }

    /// The id within its bucket's stream.
    pub fn stream_id(&self) -> &str {
        self.0.split_once('/').map_or(&self.0, |(_, id)| id)
    }

    /// 1 to `MAX_DEAD_LETTERS_PER_CALL` ids, each valid.
    pub fn parse_all(raw: &[String]) -> Result<Vec<Self>, ValidationError> {
        if raw.is_empty() || raw.len() > MAX_DEAD_LETTERS_PER_CALL {
            return Err(ValidationError::new(
                "ids",
                format!("must hold 1 to {MAX_DEAD_LETTERS_PER_CALL} dead-letter ids"),
            ));
        }
        raw.iter().map(|id| Self::parse(id)).collect()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many dead letters to list: 1 to `MAX_DEAD_LETTERS_PER_CALL`, all of them by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeadLetterLimit(usize);

impl DeadLetterLimit {
    pub fn parse(raw: Option<&str>) -> Result<Self, ValidationError> {
        let Some(raw) = raw else {
            return Ok(Self(MAX_DEAD_LETTERS_PER_CALL));
        };
        match raw.parse::<usize>() {
            Ok(limit) if (1..=MAX_DEAD_LETTERS_PER_CALL).contains(&limit) => Ok(Self(limit)),
            _ => Err(ValidationError::new(
                "limit",
                format!("must be an integer from 1 to {MAX_DEAD_LETTERS_PER_CALL}"),
            )),
        }
    }

    pub fn get(self) -> usize {
        self.0
    }
}

/// One entry of a sale's dead-letter stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct DeadLetter {
    pub id: DeadLetterId,
    /// The entry's fields as the orders stream held them (`order_id`, `user_id`, `quantity`,
    /// `created_ms` for an order; whatever it held for a malformed entry).
    pub order: BTreeMap<String, String>,
    /// Why the persister gave up on it.
    pub reason: String,
    /// Whether it is a well-formed order, which a replay moves back to the orders stream.
    pub replayable: bool,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Replayed {
    /// Entries moved back to the orders stream, for the persister to write.
    pub replayed: usize,
    /// Ids not (or no longer) in the dead letters: replayed already, or never there.
    pub not_found: Vec<DeadLetterId>,
    /// Malformed entries, left in the dead letters: replaying them could only bury them again.
    pub not_replayable: Vec<DeadLetterId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dead_letter_ids_are_stream_ids() {
        assert!(DeadLetterId::parse("1700000000000-0").is_ok());
        assert!(DeadLetterId::parse("0-18446744073709551615").is_ok());
        for bad in [
            "",
            "-",
            "1700000000000",
            "1-2-3",
            "a-1",
            "1-",
            "-1",
            "+1-0",
            "1 -0",
        ] {
            assert!(DeadLetterId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(DeadLetterId::parse("18446744073709551616-0").is_err());
    }

    #[test]
    fn a_buckets_letter_names_its_bucket() {
        let letter = DeadLetterId::parse("3/1700000000000-0").unwrap();
        assert_eq!(
            (letter.bucket(), letter.stream_id()),
            (3, "1700000000000-0")
        );
        assert_eq!(DeadLetterId::in_bucket(3, "1700000000000-0"), letter);
        assert_eq!(DeadLetterId::in_bucket(0, "1-0").as_str(), "1-0");
        for bad in [
            "0/1-0", "64/1-0", "03/1-0", "x/1-0", "3/", "3/1/1-0", "/1-0",
        ] {
            assert!(DeadLetterId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_replay_names_one_to_a_hundred_ids() {
        assert!(DeadLetterId::parse_all(&[]).is_err());
        let ids: Vec<String> = (0..101).map(|n| format!("{n}-0")).collect();
        assert!(DeadLetterId::parse_all(&ids).is_err());
        assert_eq!(DeadLetterId::parse_all(&ids[..100]).unwrap().len(), 100);
    }

    #[test]
    fn the_limit_defaults_to_a_hundred_and_stays_within_it() {
        assert_eq!(DeadLetterLimit::parse(None).unwrap().get(), 100);
        assert_eq!(DeadLetterLimit::parse(Some("7")).unwrap().get(), 7);
        for bad in ["0", "101", "-1", "ten", ""] {
            assert!(DeadLetterLimit::parse(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
