//! Shared by the state store tests: a PostgreSQL store in a schema of its own (skipped with a
//! notice when no server is configured), and a SQLite file in a temporary directory.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use bc_state::{LeaseClock, PostgresOptions, PostgresStateStore};

/// The variable naming the test server.
pub const PG_VAR: &str = "BCSYNC_TEST_POSTGRES_URL";

/// The server's URL, or `None` after printing the skip notice.
pub fn pg_url() -> Option<String> {
    match std::env::var(PG_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            println!("SKIPPED: no PostgreSQL (set {PG_VAR})");
            None
        }
    }
}

/// A schema name unique to this test and process.
pub fn schema_for(test: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "t_{}_{}_{}",
        test,
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// Options for a store in `schema`.
pub fn pg_options(schema: &str, clock: LeaseClock) -> PostgresOptions {
    let mut o = PostgresOptions::default();
    o.schema = Some(schema.to_string());
    o.lease_clock = clock;
    o.max_connections = 4;
    o
}

/// A fresh PostgreSQL store (its own schema) for `test`, or `None` (skipped).
pub async fn pg_store(test: &str, clock: LeaseClock) -> Option<PostgresStateStore> {
    let url = pg_url()?;
    let schema = schema_for(test);
    Some(
        PostgresStateStore::connect_with(&url, &pg_options(&schema, clock))
            .await
            .expect("connect to the test PostgreSQL"),
    )
}
