-- The rate budget of each platform account a worker touches for a connection, as the worker
-- last saw it (written every few seconds while it runs), for `bcsync status`. Times are
-- RFC 3339 UTC text, as in every other table.
CREATE TABLE rate_budgets (
    connection TEXT NOT NULL,
    account TEXT NOT NULL,
    worker TEXT NOT NULL,
    window_limit INTEGER,
    window_ms INTEGER NOT NULL,
    requests_left INTEGER,
    resets_at TEXT,
    paused_until TEXT,
    last_429_at TEXT,
    last_429_wait_ms INTEGER,
    observed_at TEXT NOT NULL,
    PRIMARY KEY (connection, account)
);
