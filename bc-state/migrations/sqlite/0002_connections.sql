-- Tenants: every row carries the name of its connection (a storefront account + a ledger
-- account + settings); rows that existed before belong to the connection `default`.
-- SQLite cannot change a primary key in place: each table is rebuilt and its rows copied.
CREATE TABLE xrefs_v2 (
    connection TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL,
    ledger_id TEXT NOT NULL,
    ledger TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    revision INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, kind, key)
);
INSERT INTO xrefs_v2 SELECT 'default', kind, key, ledger_id, ledger, payload_hash, revision, updated_at FROM xrefs;
DROP TABLE xrefs;
ALTER TABLE xrefs_v2 RENAME TO xrefs;
CREATE INDEX xrefs_by_ledger ON xrefs (connection, kind, ledger_id);

CREATE TABLE cursors_v2 (
    connection TEXT NOT NULL,
    job TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (connection, job)
);
INSERT INTO cursors_v2 SELECT 'default', job, value FROM cursors;
DROP TABLE cursors;
ALTER TABLE cursors_v2 RENAME TO cursors;

CREATE TABLE journal_v2 (
    connection TEXT NOT NULL,
    entity TEXT NOT NULL,
    operation TEXT NOT NULL,
    key TEXT NOT NULL,
    revision INTEGER NOT NULL,
    payload_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    detail TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, entity, operation, key, revision)
);
INSERT INTO journal_v2 SELECT 'default', entity, operation, key, revision, payload_hash, state, detail, created_at, updated_at FROM journal;
DROP TABLE journal;
ALTER TABLE journal_v2 RENAME TO journal;
CREATE INDEX journal_by_state ON journal (connection, state, created_at);

CREATE TABLE exceptions_v2 (
    connection TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    reasons TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    status TEXT NOT NULL,
    retry_requested INTEGER NOT NULL,
    PRIMARY KEY (connection, entity, key)
);
INSERT INTO exceptions_v2 SELECT 'default', entity, key, reasons, attempts, first_seen, last_seen, status, retry_requested FROM exceptions;
DROP TABLE exceptions;
ALTER TABLE exceptions_v2 RENAME TO exceptions;
CREATE INDEX exceptions_by_status ON exceptions (connection, status, entity);

CREATE TABLE connector_log_v2 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    connection TEXT NOT NULL,
    at TEXT NOT NULL,
    job TEXT NOT NULL,
    entity TEXT NOT NULL,
    key TEXT NOT NULL,
    direction TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL
);
INSERT INTO connector_log_v2 SELECT id, 'default', at, job, entity, key, direction, outcome, message FROM connector_log;
DROP TABLE connector_log;
ALTER TABLE connector_log_v2 RENAME TO connector_log;
CREATE INDEX log_by_entity ON connector_log (connection, entity, key, at);
CREATE INDEX log_by_outcome ON connector_log (connection, outcome, at);
CREATE INDEX log_by_time ON connector_log (connection, at);
CREATE INDEX log_by_job ON connector_log (connection, job, at);

CREATE TABLE inventory_v2 (
    connection TEXT NOT NULL,
    sku TEXT NOT NULL,
    quantity TEXT NOT NULL,
    PRIMARY KEY (connection, sku)
);
INSERT INTO inventory_v2 SELECT 'default', sku, quantity FROM inventory;
DROP TABLE inventory;
ALTER TABLE inventory_v2 RENAME TO inventory;

CREATE TABLE leases_v2 (
    connection TEXT NOT NULL,
    name TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    token INTEGER NOT NULL,
    PRIMARY KEY (connection, name)
);
INSERT INTO leases_v2 SELECT 'default', name, owner, expires_at, token FROM leases;
DROP TABLE leases;
ALTER TABLE leases_v2 RENAME TO leases;
