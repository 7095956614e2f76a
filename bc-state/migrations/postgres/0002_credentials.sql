-- Credentials a platform rotates (e.g. an OAuth token set), shared by every worker that uses
-- the account: one row per (connection, account), swapped by compare-and-set on `generation`.
CREATE TABLE credentials (
    connection TEXT COLLATE "C" NOT NULL,
    account TEXT COLLATE "C" NOT NULL,
    value TEXT NOT NULL,
    generation BIGINT NOT NULL CHECK (generation > 0),
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (connection, account)
);
