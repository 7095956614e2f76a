//! SQLite errors → [`bc_core::Error`]: what an HTTP connector's `error.rs` does with a
//! platform's error bodies, done here for the database the ERP lives in. A unique violation
//! (the import id's UNIQUE index) is a `Conflict`, a locked or busy file is a temporary
//! `Unavailable`, anything else is `Internal`; every error names the platform and keeps the
//! database's message.

use bc_core::{Error, ErrorKind};

use crate::PLATFORM;

/// Maps a database error onto the one error type: unique violations are conflicts, a busy
/// database is temporary, anything else is internal.
pub(crate) fn db_err(op: &str) -> impl FnOnce(sqlx::Error) -> Error + '_ {
    move |e| {
        let (kind, temporary) = match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => (ErrorKind::Conflict, false),
            sqlx::Error::Database(d)
                if d.message().contains("locked") || d.message().contains("busy") =>
            {
                (ErrorKind::Unavailable, true)
            }
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                (ErrorKind::Unavailable, true)
            }
            _ => (ErrorKind::Internal, false),
        };
        Error::new(kind, format!("{op}: {e}"))
            .with_platform(PLATFORM)
            .with_temporary(temporary)
            .with_source(e)
    }
}

/// An error of `kind` from this ERP.
pub(crate) fn err(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message).with_platform(PLATFORM)
}
