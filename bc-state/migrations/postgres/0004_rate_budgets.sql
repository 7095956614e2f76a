-- The rate budget of each platform account a worker touches for a connection, as the worker
-- last saw it (written every few seconds while it runs), for `bcsync status`.
CREATE TABLE rate_budgets (
    connection TEXT COLLATE "C" NOT NULL,
    account TEXT COLLATE "C" NOT NULL,
    worker TEXT NOT NULL,
    window_limit INTEGER,
    window_ms BIGINT NOT NULL,
    requests_left INTEGER,
    resets_at TIMESTAMPTZ,
    paused_until TIMESTAMPTZ,
    last_429_at TIMESTAMPTZ,
    last_429_wait_ms BIGINT,
    observed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection, account)
);
