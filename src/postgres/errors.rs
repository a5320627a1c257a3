//! Telling Postgres's errors apart for the persister: the few that are about the data (the
//! same orders will be refused again) from the many that pass (a failover, a revoked grant, a
//! lock held too long), and a short, bounded name for each to report.
use std::borrow::Cow;

/// SQLSTATE classes of errors about the values written: 22 data exception (out of range,
/// invalid text), 23 integrity constraint violation. Only these are worth giving up on.
const DATA_ERROR_CLASSES: [&str; 2] = ["22", "23"];

/// Whether Postgres refused the batch for what it contains, so that writing it again can only
/// fail again. Everything else (connection loss, read-only transaction, authentication,
/// permission, missing relation, lock timeout, internal errors, pool timeouts) may pass and is
/// retried: burying an accepted order because Postgres was failing over would break the
/// promise of the 202.
///
/// A sale missing from Postgres (`RowNotFound` on its row) counts as data: its orders can never
/// be written as Postgres stands, and retrying them would stall every other sale in the batch;
/// once the sale exists, its dead letters can be replayed.
pub fn is_data_error(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            DATA_ERROR_CLASSES
                .iter()
                .any(|class| code.starts_with(class))
        }),
        sqlx::Error::RowNotFound => true,
        _ => false,
    }
}

/// What went wrong, in a few characters fit for a metric label or a readiness body: the
/// SQLSTATE when Postgres answered with one, else the kind of failure. The set of values is
/// bounded (SQLSTATEs are five characters from a fixed catalogue), and no message text leaks.
pub fn error_kind(error: &sqlx::Error) -> Cow<'static, str> {
    let kind = match error {
        sqlx::Error::Database(e) => {
            return match e.code() {
                Some(code) if is_sqlstate(&code) => Cow::Owned(code.into_owned()),
                _ => Cow::Borrowed("database"),
            };
        }
        sqlx::Error::Io(_) => "io",
        sqlx::Error::Tls(_) => "tls",
        sqlx::Error::Protocol(_) => "protocol",
        sqlx::Error::PoolTimedOut => "pool_timeout",
        sqlx::Error::PoolClosed => "pool_closed",
        sqlx::Error::RowNotFound => "row_not_found",
        sqlx::Error::ColumnDecode { .. } | sqlx::Error::Decode(_) => "decode",
        _ => "other",
    };
    Cow::Borrowed(kind)
}

fn is_sqlstate(code: &str) -> bool {
    code.len() == 5
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::error::{DatabaseError, ErrorKind};
    use std::error::Error as StdError;

    /// A Postgres error reduced to its SQLSTATE, as the persister sees it.
    #[derive(Debug, thiserror::Error)]
    #[error("postgres said {0}")]
    struct Sqlstate(&'static str);

    impl DatabaseError for Sqlstate {
        fn message(&self) -> &str {
            "postgres said no"
        }
        fn code(&self) -> Option<Cow<'_, str>> {
            Some(Cow::Borrowed(self.0))
        }
        fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
            self
        }
        fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
            self
        }
        fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
            self
        }
        fn kind(&self) -> ErrorKind {
            ErrorKind::Other
        }
    }

    fn database(code: &'static str) -> sqlx::Error {
        sqlx::Error::Database(Box::new(Sqlstate(code)))
    }

    #[test]
    fn only_errors_about_the_values_written_are_data_errors() {
        let data = [
            ("22003", "numeric value out of range"),
            ("22008", "datetime field overflow"),
            ("22P02", "invalid text representation"),
            ("23502", "not null violation"),
            ("23503", "foreign key violation"),
            ("23505", "unique violation"),
            ("23514", "check violation"),
        ];
        for (code, what) in data {
            assert!(is_data_error(&database(code)), "{code} {what}");
            assert_eq!(error_kind(&database(code)), code);
        }
    }

    #[test]
    fn everything_that_can_pass_is_retried() {
        let passing = [
            ("08006", "connection failure"),
            ("25006", "read-only sql transaction (a failover)"),
            ("28000", "invalid authorization specification"),
            ("28P01", "invalid password"),
            ("40001", "serialization failure"),
            ("40P01", "deadlock detected"),
            ("42501", "insufficient privilege"),
            ("42P01", "undefined table"),
            ("53300", "too many connections"),
            ("55P03", "lock not available (lock_timeout)"),
            ("57014", "query canceled (statement_timeout)"),
            ("57P01", "admin shutdown"),
            ("XX000", "internal error"),
            ("XX001", "data corrupted"),
        ];
        for (code, what) in passing {
            assert!(!is_data_error(&database(code)), "{code} {what}");
            assert_eq!(error_kind(&database(code)), code);
        }
        for (error, kind) in [
            (sqlx::Error::PoolTimedOut, "pool_timeout"),
            (sqlx::Error::PoolClosed, "pool_closed"),
            (
                sqlx::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
                "io",
            ),
            (
                sqlx::Error::Protocol("unexpected message".into()),
                "protocol",
            ),
        ] {
            assert!(!is_data_error(&error), "{error}");
            assert_eq!(error_kind(&error), kind);
        }
    }

    #[test]
    fn a_sale_missing_from_postgres_is_a_data_error() {
        assert!(is_data_error(&sqlx::Error::RowNotFound));
        assert_eq!(error_kind(&sqlx::Error::RowNotFound), "row_not_found");
    }

    #[test]
    fn a_code_that_is_not_a_sqlstate_is_not_reported_as_one() {
        assert_eq!(error_kind(&database("not a code")), "database");
        assert_eq!(error_kind(&database("")), "database");
    }
}
