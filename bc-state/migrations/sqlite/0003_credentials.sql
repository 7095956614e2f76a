-- Credentials a platform rotates (e.g. an OAuth token set), shared by every process that uses
-- the account: one row per (connection, account), swapped by compare-and-set on `generation`.
CREATE TABLE credentials (
    connection TEXT NOT NULL,
    account TEXT NOT NULL,
    value TEXT NOT NULL,
    generation INTEGER NOT NULL CHECK (generation > 0),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (connection, account)
);
