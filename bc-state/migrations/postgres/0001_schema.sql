-- The PostgreSQL state store: the SQLite schema's shape, every row keyed by its connection.
-- Text keys use the "C" collation so that ORDER BY is byte order, as on SQLite.
CREATE TABLE xrefs (
    connection TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    ledger_id TEXT COLLATE "C" NOT NULL,
    ledger TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    revision BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection, kind, key)
);
CREATE INDEX xrefs_by_ledger ON xrefs (connection, kind, ledger_id);

CREATE TABLE cursors (
    connection TEXT COLLATE "C" NOT NULL,
    job TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (connection, job)
);

CREATE TABLE journal (
    connection TEXT COLLATE "C" NOT NULL,
    entity TEXT COLLATE "C" NOT NULL,
    operation TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    revision BIGINT NOT NULL,
    payload_hash TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('intent', 'done', 'failed')),
    detail TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection, entity, operation, key, revision)
);
CREATE INDEX journal_pending ON journal (connection, created_at) WHERE state = 'intent';

CREATE TABLE exceptions (
    connection TEXT COLLATE "C" NOT NULL,
    entity TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    reasons TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved')),
    retry_requested BOOLEAN NOT NULL,
    PRIMARY KEY (connection, entity, key)
);
CREATE INDEX exceptions_by_status ON exceptions (connection, status, entity);

CREATE TABLE connector_log (
    id BIGSERIAL PRIMARY KEY,
    connection TEXT COLLATE "C" NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    job TEXT COLLATE "C" NOT NULL,
    entity TEXT COLLATE "C" NOT NULL,
    key TEXT COLLATE "C" NOT NULL,
    direction TEXT NOT NULL,
    outcome TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX log_by_entity ON connector_log (connection, entity, key, at);
CREATE INDEX log_by_outcome ON connector_log (connection, outcome, at);
CREATE INDEX log_by_time ON connector_log (connection, at);
CREATE INDEX log_by_job ON connector_log (connection, job, at);

CREATE TABLE inventory (
    connection TEXT COLLATE "C" NOT NULL,
    sku TEXT COLLATE "C" NOT NULL,
    quantity TEXT NOT NULL,
    PRIMARY KEY (connection, sku)
);

-- A released lease keeps its row (owner '', expired) so that tokens are never reused.
CREATE TABLE leases (
    connection TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    owner TEXT COLLATE "C" NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    token BIGINT NOT NULL,
    PRIMARY KEY (connection, name)
);

-- Work distribution: (connection, job) units claimed with FOR UPDATE SKIP LOCKED; the claim
-- is the lease `job:<job>` of that connection (its token fences the unit's writes).
CREATE TABLE units (
    connection TEXT COLLATE "C" NOT NULL,
    job TEXT COLLATE "C" NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    last_run_at TIMESTAMPTZ,
    last_worker TEXT,
    last_token BIGINT,
    PRIMARY KEY (connection, job)
);
CREATE INDEX units_by_due ON units (due_at);
