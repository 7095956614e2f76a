//! Credentials a platform rotates (an OAuth token set), kept per (connection, account) and
//! swapped by compare-and-set on a generation, so that several workers refreshing the same
//! account's tokens agree on one winner: the loser re-reads and uses the winner's set.
//!
//! Each swap is ONE conditional statement (its own transaction): the first store is an
//! `INSERT … ON CONFLICT DO NOTHING`, every later one an `UPDATE … WHERE generation = ?`;
//! the number of rows it changed says whether it won. Under PostgreSQL's READ COMMITTED a
//! concurrent swap waits for the row lock and then re-checks the `WHERE` on the new version,
//! so two swaps from the same generation never both succeed.

use bc_core::{Error, ErrorKind, Result};
use bc_engine::StoredCredentials;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgPool, SqlitePool};

use crate::codec::{db, ts};

/// A stored generation (always > 0) as the trait's `u64`.
fn generation_of(v: i64) -> Result<u64> {
    u64::try_from(v).map_err(|_| {
        Error::new(
            ErrorKind::Internal,
            format!("state store: credentials: stored generation {v} is negative"),
        )
    })
}

/// `expected + 1` as a column value (and `expected` itself), refusing what does not fit.
fn generations(expected: u64) -> Result<(i64, i64)> {
    let bad = || {
        Error::new(
            ErrorKind::Invalid,
            format!("state store: credentials: generation {expected} is out of range"),
        )
    };
    let expected = i64::try_from(expected).map_err(|_| bad())?;
    let next = expected.checked_add(1).ok_or_else(bad)?;
    Ok((expected, next))
}

fn stored(value: String, generation: i64) -> Result<StoredCredentials> {
    Ok(StoredCredentials {
        value: SecretString::from(value),
        generation: generation_of(generation)?,
    })
}

/// The credentials of (`connection`, `account`) on SQLite.
pub(crate) async fn sqlite_get(
    pool: &SqlitePool,
    connection: &str,
    account: &str,
) -> Result<Option<StoredCredentials>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT value, generation FROM credentials WHERE connection = ?1 AND account = ?2",
    )
    .bind(connection)
    .bind(account)
    .fetch_optional(pool)
    .await
    .map_err(db("read credentials"))?;
    row.map(|(v, g)| stored(v, g)).transpose()
}

/// Compare-and-swap of (`connection`, `account`) on SQLite (one statement).
pub(crate) async fn sqlite_swap(
    pool: &SqlitePool,
    connection: &str,
    account: &str,
    expected: u64,
    value: &SecretString,
    now: DateTime<Utc>,
) -> Result<bool> {
    let (expected, next) = generations(expected)?;
    let sql = if expected == 0 {
        "INSERT INTO credentials (connection, account, value, generation, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?6) ON CONFLICT (connection, account) DO NOTHING"
    } else {
        "UPDATE credentials SET value = ?3, generation = ?4, updated_at = ?6
         WHERE connection = ?1 AND account = ?2 AND generation = ?5"
    };
    let r = sqlx::query(sql)
        .bind(connection)
        .bind(account)
        .bind(value.expose_secret())
        .bind(next)
        .bind(expected)
        .bind(ts(now))
        .execute(pool)
        .await
        .map_err(db("swap credentials"))?;
    Ok(r.rows_affected() == 1)
}

/// The credentials of (`connection`, `account`) on PostgreSQL.
pub(crate) async fn postgres_get(
    pool: &PgPool,
    connection: &str,
    account: &str,
) -> Result<Option<StoredCredentials>> {
    let row: Option<(String, i64)> = sqlx::query_as(
        "SELECT value, generation FROM credentials WHERE connection = $1 AND account = $2",
    )
    .bind(connection)
    .bind(account)
    .fetch_optional(pool)
    .await
    .map_err(db("read credentials"))?;
    row.map(|(v, g)| stored(v, g)).transpose()
}

/// Compare-and-swap of (`connection`, `account`) on PostgreSQL (one statement; the time is
/// the database's).
pub(crate) async fn postgres_swap(
    pool: &PgPool,
    connection: &str,
    account: &str,
    expected: u64,
    value: &SecretString,
) -> Result<bool> {
    let (expected, next) = generations(expected)?;
    let r = if expected == 0 {
        sqlx::query(
            "INSERT INTO credentials (connection, account, value, generation, updated_at)
             VALUES ($1, $2, $3, $4, now()) ON CONFLICT (connection, account) DO NOTHING",
        )
        .bind(connection)
        .bind(account)
        .bind(value.expose_secret())
        .bind(next)
        .execute(pool)
        .await
    } else {
        sqlx::query(
            "UPDATE credentials SET value = $3, generation = $4, updated_at = now()
             WHERE connection = $1 AND account = $2 AND generation = $5",
        )
        .bind(connection)
        .bind(account)
        .bind(value.expose_secret())
        .bind(next)
        .bind(expected)
        .execute(pool)
        .await
    }
    .map_err(db("swap credentials"))?;
    Ok(r.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generations_that_do_not_fit_are_refused() {
        assert_eq!(generations(0).unwrap(), (0, 1));
        assert!(generations(u64::MAX).is_err());
        assert!(generations(i64::MAX as u64).is_err());
        assert!(generation_of(-1).is_err());
    }
}
