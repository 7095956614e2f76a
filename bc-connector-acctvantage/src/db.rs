//! Small helpers shared by every table: error mapping, decimals as text, counters, cursors.

use std::str::FromStr;

use bc_core::{Cursor, Decimal, Error, ErrorKind, Result};
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;

/// The platform name in errors and capabilities.
pub(crate) const PLATFORM: &str = "acctvantage";

/// Most items one page of a change feed holds.
pub(crate) const PAGE_SIZE: i64 = 500;

pub(crate) type Conn = SqliteConnection;

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

/// Reads a decimal stored as text.
pub(crate) fn dec(row: &SqliteRow, col: &str) -> Result<Decimal> {
    let text: String = row.try_get(col).map_err(db_err(col))?;
    Decimal::from_str(&text).map_err(|e| {
        err(
            ErrorKind::Internal,
            format!("column `{col}` holds `{text}`, which is not a decimal: {e}"),
        )
    })
}

/// Reads a column.
pub(crate) fn get<'r, T>(row: &'r SqliteRow, col: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    row.try_get(col).map_err(db_err(col))
}

/// Takes the next value of a counter (`seq` for change feeds, `SO`, `CM`… for numbers).
pub(crate) async fn next(conn: &mut Conn, counter: &str) -> Result<i64> {
    let row = sqlx::query("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value")
        .bind(counter)
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err("next number"))?;
    get(&row, "value")
}

/// A document number of a series: `SO-000042`.
pub(crate) fn number(series: &str, n: i64) -> String {
    format!("{series}-{n:06}")
}

/// Parses a cursor of this ledger: empty (the start) or a sequence number.
pub(crate) fn cursor(c: &Cursor) -> Result<i64> {
    if c.is_start() {
        return Ok(0);
    }
    c.0.parse::<i64>().map_err(|_| {
        err(
            ErrorKind::Invalid,
            format!(
                "cursor `{}` was not made by the AcctVantage ERP (expected a sequence number)",
                c.0
            ),
        )
    })
}

/// Parses a ledger id (the integer primary key) of `what`.
pub(crate) fn id_of(what: &str, id: &str) -> Result<i64> {
    id.parse::<i64>().map_err(|_| {
        err(
            ErrorKind::NotFound,
            format!("{what} `{id}` does not exist in the AcctVantage ERP (ids are numbers)"),
        )
    })
}

/// The current time as stored.
pub(crate) fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}
