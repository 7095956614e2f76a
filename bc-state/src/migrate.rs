//! Schema migrations with sqlx's migrator, for both stores (`migrations/sqlite`,
//! `migrations/postgres`; each migration runs in its own transaction). They run when a store
//! opens; a database migrated by a newer bcsync is refused, naming both versions, and left
//! unchanged.

use bc_core::{Error, ErrorKind, Result};
use sqlx::migrate::{MigrateError, Migrator};
use sqlx::{PgConnection, SqlitePool};

use crate::codec::db;

/// The SQLite schema.
static SQLITE: Migrator = sqlx::migrate!("migrations/sqlite");
/// The PostgreSQL schema.
static POSTGRES: Migrator = sqlx::migrate!("migrations/postgres");

/// The `PRAGMA user_version` of the newest SQLite file made by the hand-made scheme that came
/// before sqlx's migrator (1: first schema, 2: lease tokens).
const LEGACY_SQLITE_VERSION: i64 = 2;

/// The newest SQLite schema version this program knows.
pub fn sqlite_schema_version() -> i64 {
    latest(&SQLITE)
}

/// The newest PostgreSQL schema version this program knows.
pub fn postgres_schema_version() -> i64 {
    latest(&POSTGRES)
}

fn latest(m: &Migrator) -> i64 {
    m.iter().map(|m| m.version).max().unwrap_or(0)
}

fn too_new(found: i64, known: i64) -> Error {
    Error::new(
        ErrorKind::Config,
        format!(
            "the state database is at schema version {found}, newer than this bcsync, which knows \
             schema versions up to {known}: run the newer bcsync (or point `state.url` at another \
             database); the database was not changed"
        ),
    )
}

fn migrate_error(e: MigrateError) -> Error {
    Error::new(ErrorKind::Unavailable, format!("state store: migrate: {e}"))
        .with_operation("migrate")
}

/// Migrates a SQLite state file. A file of the hand-made scheme (`PRAGMA user_version` 1 or
/// 2, no `_sqlx_migrations` table) is first brought to version 2, which the first sqlx
/// migration adopts as it is (`CREATE … IF NOT EXISTS`).
pub(crate) async fn migrate_sqlite(pool: &SqlitePool) -> Result<()> {
    let mut conn = pool.acquire().await.map_err(db("migrate"))?;
    let managed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(db("migrate"))?;
    if managed {
        let newest: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&mut *conn)
            .await
            .map_err(db("migrate"))?;
        if let Some(v) = newest.filter(|v| *v > latest(&SQLITE)) {
            return Err(too_new(v, latest(&SQLITE)));
        }
    } else {
        let legacy: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&mut *conn)
            .await
            .map_err(db("migrate"))?;
        if legacy > LEGACY_SQLITE_VERSION {
            return Err(too_new(legacy, latest(&SQLITE)));
        }
        if legacy == 1 {
            // The hand-made scheme's second migration, in one transaction.
            sqlx::raw_sql(
                "BEGIN IMMEDIATE;
                 ALTER TABLE leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
                 PRAGMA user_version = 2;
                 COMMIT;",
            )
            .execute(&mut *conn)
            .await
            .map_err(db("migrate"))?;
        }
    }
    drop(conn);
    SQLITE.run(pool).await.map_err(migrate_error)
}

/// Migrates a PostgreSQL state database (sqlx holds an advisory lock while it migrates, so
/// that workers starting together do not race).
pub(crate) async fn migrate_postgres(conn: &mut PgConnection) -> Result<()> {
    let managed: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
        .fetch_one(&mut *conn)
        .await
        .map_err(db("migrate"))?;
    let newest: Option<i64> = if managed {
        sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&mut *conn)
            .await
            .map_err(db("migrate"))?
    } else {
        None
    };
    if let Some(v) = newest.filter(|v| *v > latest(&POSTGRES)) {
        return Err(too_new(v, latest(&POSTGRES)));
    }
    POSTGRES.run(conn).await.map_err(migrate_error)
}
