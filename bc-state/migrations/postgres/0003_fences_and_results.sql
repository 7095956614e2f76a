-- The fence (lease and token) each journal and connector-log write was made under, so that
-- "no (connection, job) ever ran on two workers at once" can be checked from the data: per
-- lease, tokens only grow in write order, and each token has one owner. And the outcome of
-- each unit's last run, for `bcsync status`.
ALTER TABLE journal
    ADD COLUMN fence_lease TEXT COLLATE "C",
    ADD COLUMN intent_token BIGINT,
    ADD COLUMN done_token BIGINT;
ALTER TABLE connector_log
    ADD COLUMN fence_lease TEXT COLLATE "C",
    ADD COLUMN fence_token BIGINT;
ALTER TABLE units
    ADD COLUMN last_ok BOOLEAN,
    ADD COLUMN last_result TEXT;
