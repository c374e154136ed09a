-- Backup codes: one row per code of the user's current set. Only an HMAC-SHA-256 of the
-- normalised code is stored, under a key derived from the encryption key named by key_id
-- (never in the database). A code is used by one conditional write:
-- UPDATE ... SET used_at = $now WHERE user_id = $u AND key_id = $k AND hash = $h AND used_at IS NULL.
CREATE TABLE backup_codes (
    user_id    TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    hash       BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, key_id, hash)
);
