//! Small conversions shared by both stores: times as text (SQLite), JSON columns, errors.

use bc_core::{Error, ErrorKind, LedgerRef, Result};
use bc_engine::state::state_error;
use bc_engine::WriteState;
use chrono::{DateTime, SecondsFormat, Utc};

/// Times are stored on SQLite as fixed-width RFC 3339 UTC text, so that text order is time
/// order.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads a time written by [`ts`].
pub(crate) fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| state_error("read time", format!("`{s}`: {e}")))
}

/// Maps a driver error to the state store's error, naming the operation.
pub(crate) fn db(operation: &'static str) -> impl Fn(sqlx::Error) -> Error {
    move |e| state_error(operation, e)
}

/// A value as a JSON column.
pub(crate) fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v)
        .map_err(|e| Error::new(ErrorKind::Internal, format!("state store: {e}")))
}

/// A JSON column read back.
pub(crate) fn unjson<T: serde::de::DeserializeOwned>(s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| state_error("read json", e))
}

/// A stored count or revision (never negative; saturates instead of wrapping).
pub(crate) fn u32_of(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// A journal state as stored (`state`, `detail`) → the record's state.
pub(crate) fn write_state(state: &str, detail: Option<String>) -> Result<WriteState> {
    Ok(match state {
        "intent" => WriteState::Intent,
        "done" => WriteState::Done {
            at: unjson::<LedgerRef>(detail.as_deref().unwrap_or("null"))?,
        },
        "failed" => WriteState::Failed {
            reason: detail.unwrap_or_default(),
        },
        other => {
            return Err(state_error(
                "read journal",
                format!("unknown state `{other}`"),
            ))
        }
    })
}
