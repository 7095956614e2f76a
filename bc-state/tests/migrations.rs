//! Migrations: SQLite files of the hand-made scheme (user_version 1 and 2) open and upgrade
//! with their rows kept under the connection `default`; a database newer than the program is
//! refused, naming both versions, and left unchanged.

mod common;

use std::time::Duration;

use bc_engine::{EntityKind, ExceptionFilter, LogQuery, StateStore, WriteKey, WriteState};
use bc_state::{LeaseClock, PostgresStateStore, SqliteStateStore};
use chrono::Utc;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

/// The first schema of the hand-made scheme (`PRAGMA user_version = 1`), as it shipped.
const LEGACY_V1: &str = r#"
CREATE TABLE xrefs (kind TEXT NOT NULL, key TEXT NOT NULL, ledger_id TEXT NOT NULL,
    ledger TEXT NOT NULL, payload_hash TEXT NOT NULL, revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL, PRIMARY KEY (kind, key));
CREATE INDEX xrefs_by_ledger ON xrefs (kind, ledger_id);
CREATE TABLE cursors (job TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE journal (entity TEXT NOT NULL, operation TEXT NOT NULL, key TEXT NOT NULL,
    revision INTEGER NOT NULL, payload_hash TEXT NOT NULL, state TEXT NOT NULL, detail TEXT,
    created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    PRIMARY KEY (entity, operation, key, revision));
CREATE INDEX journal_by_state ON journal (state, created_at);
CREATE TABLE exceptions (entity TEXT NOT NULL, key TEXT NOT NULL, reasons TEXT NOT NULL,
    attempts INTEGER NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    status TEXT NOT NULL, retry_requested INTEGER NOT NULL, PRIMARY KEY (entity, key));
CREATE INDEX exceptions_by_status ON exceptions (status, entity);
CREATE TABLE connector_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL,
    job TEXT NOT NULL, entity TEXT NOT NULL, key TEXT NOT NULL, direction TEXT NOT NULL,
    outcome TEXT NOT NULL, message TEXT NOT NULL);
CREATE INDEX log_by_entity ON connector_log (entity, key, at);
CREATE INDEX log_by_outcome ON connector_log (outcome, at);
CREATE INDEX log_by_time ON connector_log (at);
CREATE TABLE inventory (sku TEXT PRIMARY KEY, quantity TEXT NOT NULL);
CREATE TABLE leases (name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at TEXT NOT NULL);
INSERT INTO xrefs VALUES ('order', '101', 'D9', '{"id":"D9","number":"BC-101"}', 'h', 0, '2025-01-01T00:00:00.000000Z');
INSERT INTO cursors VALUES ('orders', '2025-01-02T00:00:00Z');
INSERT INTO journal VALUES ('order', 'post', 'BC1101', 0, 'h', 'done', '{"id":"D9","number":"BC-101"}', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:01.000000Z');
INSERT INTO journal VALUES ('order', 'post', 'BC1102', 0, 'h2', 'intent', NULL, '2025-01-01T00:00:02.000000Z', '2025-01-01T00:00:02.000000Z');
INSERT INTO exceptions VALUES ('order', '103', '[{"type":"error","kind":"invalid","temporary":false,"message":"bad"}]', 2, '2025-01-01T00:00:00.000000Z', '2025-01-01T00:01:00.000000Z', 'open', 0);
INSERT INTO connector_log (at, job, entity, key, direction, outcome, message) VALUES ('2025-01-01T00:00:01.000000Z', 'orders', 'order', '101', 'to_ledger', 'done', 'posted');
INSERT INTO inventory VALUES ('SKU-1', '12.50');
INSERT INTO leases VALUES ('job:orders', 'old-worker#1', '2025-01-01T00:05:00.000000Z');
PRAGMA user_version = 1;
"#;

async fn legacy_file(path: &std::path::Path, version: i64) {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql(LEGACY_V1).execute(&mut conn).await.unwrap();
    if version >= 2 {
        sqlx::raw_sql(
            "ALTER TABLE leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
             UPDATE leases SET token = 5; PRAGMA user_version = 2;",
        )
        .execute(&mut conn)
        .await
        .unwrap();
    }
    conn.close().await.unwrap();
}

async fn check_upgraded(store: &SqliteStateStore, previous_token: i64) {
    let x = store.xref(EntityKind::Order, "101").await.unwrap().unwrap();
    assert_eq!(x.ledger.number.as_deref(), Some("BC-101"));
    assert_eq!(
        store
            .xref_by_ledger(EntityKind::Order, "D9")
            .await
            .unwrap()
            .map(|x| x.key),
        Some("101".to_string())
    );
    assert_eq!(
        store.cursor("orders").await.unwrap().as_deref(),
        Some("2025-01-02T00:00:00Z")
    );
    let done = store
        .journal(&WriteKey::new(EntityKind::Order, "post", "BC1101", 0))
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(done.state, WriteState::Done { .. }));
    let pending = store.journal_pending().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].key.key, "BC1102");
    let open = store
        .exceptions(&ExceptionFilter::open(EntityKind::Order))
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].attempts, 2);
    assert_eq!(
        store.search_log(&LogQuery::default()).await.unwrap().len(),
        1
    );
    assert_eq!(
        store.last_pushed().await.unwrap().values().next().copied(),
        Some(rust_decimal::Decimal::new(1250, 2))
    );
    let l = store.lease("job:orders").await.unwrap().unwrap();
    assert_eq!(
        (l.owner.as_str(), l.token),
        ("old-worker#1", previous_token)
    );
    // The lapsed lease is taken with the next token: tokens carry over the upgrade.
    let f = store
        .acquire_lease("job:orders", "new#2", Utc::now(), Duration::from_secs(60))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(f.token, previous_token + 1);
    // Those rows are the default connection's only.
    let other = store.for_connection("other").unwrap();
    assert_eq!(other.cursor("orders").await.unwrap(), None);
    assert!(other.journal_pending().await.unwrap().is_empty());
    // Writes work on the new schema, and reopening migrates nothing more.
    store.set_cursor("orders", "later").await.unwrap();
    bc_engine::state_conformance::run_all(&other).await;
}

#[tokio::test]
async fn a_file_of_the_hand_made_scheme_version_1_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v1.sqlite");
    legacy_file(&path, 1).await;
    let store = SqliteStateStore::open(&path).await.unwrap();
    check_upgraded(&store, 0).await;
    store.close().await;
    let again = SqliteStateStore::open(&path).await.unwrap();
    assert_eq!(
        again.cursor("orders").await.unwrap().as_deref(),
        Some("later")
    );
}

#[tokio::test]
async fn a_file_of_the_hand_made_scheme_version_2_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.sqlite");
    legacy_file(&path, 2).await;
    let store = SqliteStateStore::open(&path).await.unwrap();
    check_upgraded(&store, 5).await;
}

async fn sqlx_versions(path: &std::path::Path) -> Vec<i64> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .connect()
        .await
        .unwrap();
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sqlite_file_newer_than_the_program_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.sqlite");
    SqliteStateStore::open(&path).await.unwrap().close().await;
    let known = bc_state::sqlite_schema_version();
    assert_eq!(sqlx_versions(&path).await, (1..=known).collect::<Vec<_>>());
    {
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .connect()
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
             VALUES (42, 'from the future', 1, X'00', 0)",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        conn.close().await.unwrap();
    }
    let e = SqliteStateStore::open(&path).await.unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("schema version 42"), "{msg}");
    assert!(msg.contains(&format!("up to {known}")), "{msg}");
    assert_eq!(e.kind(), bc_core::ErrorKind::Config);
    // A hand-made-scheme file from a future version too.
    let path = dir.path().join("legacy-future.sqlite");
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql(
        "CREATE TABLE cursors (job TEXT PRIMARY KEY, value TEXT); PRAGMA user_version = 3;",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let e = SqliteStateStore::open(&path).await.unwrap_err();
    assert!(e.to_string().contains("schema version 3"), "{e}");
    let mut conn = SqliteConnectOptions::new()
        .filename(&path)
        .connect()
        .await
        .unwrap();
    let managed: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = '_sqlx_migrations')",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert!(!managed, "a refused file is not touched");
}

#[tokio::test]
async fn a_postgres_database_newer_than_the_program_is_refused() {
    let Some(url) = common::pg_url() else { return };
    let schema = common::schema_for("newer");
    let options = common::pg_options(&schema, LeaseClock::Database);
    let store = PostgresStateStore::connect_with(&url, &options)
        .await
        .unwrap();
    // Migrating again is a no-op.
    let again = PostgresStateStore::connect_with(&url, &options)
        .await
        .unwrap();
    again.set_cursor("orders", "x").await.unwrap();
    let known = bc_state::postgres_schema_version();
    let mut conn = sqlx::postgres::PgConnectOptions::from_url(&url.parse().unwrap())
        .unwrap()
        .options([("search_path", schema.as_str())])
        .connect()
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (77, 'from the future', true, '\\x00', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let e = PostgresStateStore::connect_with(&url, &options)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("schema version 77"), "{msg}");
    assert!(msg.contains(&format!("up to {known}")), "{msg}");
    drop(store);
}
