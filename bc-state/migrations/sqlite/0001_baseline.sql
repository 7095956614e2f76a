-- The schema of the first state stores (PRAGMA user_version 2 in the hand-made scheme before
-- sqlx's migrator): IF NOT EXISTS, so that a file made by that scheme adopts it unchanged.
CREATE TABLE IF NOT EXISTS xrefs (
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ledger_id TEXT NOT NULL,
    ledger TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS xrefs_by_ledger ON xrefs (kind, ledger_id);
CREATE TABLE IF NOT EXISTS cursors (
    job TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS journal (
    entity TEXT NOT NULL,
    operation TEXT NOT NULL,
    key TEXT NOT NULL,
    revision INTEGER NOT NULL,
    payload_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (entity, operation, key, revision)
);
CREATE INDEX IF NOT EXISTS journal_by_state ON journal (state, created_at);
CREATE TABLE IF NOT EXISTS exceptions (
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    reasons TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    status TEXT NOT NULL,
    retry_requested INTEGER NOT NULL,
    PRIMARY KEY (entity, key)
);
CREATE INDEX IF NOT EXISTS exceptions_by_status ON exceptions (status, entity);
CREATE TABLE IF NOT EXISTS connector_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    job TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    direction TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_entity ON connector_log (entity, key, at);
CREATE INDEX IF NOT EXISTS log_by_outcome ON connector_log (outcome, at);
CREATE INDEX IF NOT EXISTS log_by_time ON connector_log (at);
CREATE TABLE IF NOT EXISTS inventory (
    sku TEXT PRIMARY KEY,
    quantity TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    token INTEGER NOT NULL DEFAULT 0
);
