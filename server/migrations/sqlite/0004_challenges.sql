-- Login challenges: the second step of a login. The id is 128 random bits (UUID text form).
-- A challenge is settled by one conditional write in the same transaction as the code's
-- consumption: UPDATE ... SET status = 'verified' WHERE id = $id AND status = 'pending'
-- AND expires_at > $now; failed attempts are counted in place, the fifth sets 'failed'.
CREATE TABLE challenges (
    id          TEXT PRIMARY KEY NOT NULL,
    user_id     TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'verified', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    ip          TEXT,
    user_agent  TEXT,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    verified_at INTEGER,
    method      TEXT CHECK (method IN ('otp', 'backup_code'))
);
CREATE INDEX challenges_by_user ON challenges (user_id, status);
CREATE INDEX challenges_by_expiry ON challenges (expires_at);

-- Trusted devices ("remember this device"). The token is shown once and stored only as an
-- HMAC-SHA-256 tag bound to the user, under a MAC key derived from the ring key key_id
-- (never in the database), like backup codes.
CREATE TABLE trusted_devices (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    key_id       TEXT NOT NULL,
    hash         BLOB NOT NULL,
    label        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    UNIQUE (key_id, hash)
);
CREATE INDEX trusted_devices_by_user ON trusted_devices (user_id, expires_at);
