-- TOTP devices. The secret is stored only encrypted (key_id, nonce, ciphertext); the
-- associated data binds it to (user_id, id). last_step is the last accepted time step:
-- a code is accepted only by advancing it (UPDATE ... WHERE last_step < step).
CREATE TABLE devices (
    id                 TEXT PRIMARY KEY NOT NULL,
    user_id            TEXT NOT NULL,
    name               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active')),
    algorithm          TEXT NOT NULL,
    digits             INTEGER NOT NULL,
    period             INTEGER NOT NULL,
    key_id             TEXT NOT NULL,
    nonce              BLOB NOT NULL,
    ciphertext         BLOB NOT NULL,
    last_step          INTEGER NOT NULL DEFAULT -1,
    created_at         INTEGER NOT NULL,
    pairing_expires_at INTEGER NOT NULL,
    confirmed_at       INTEGER,
    last_used_at       INTEGER
);
CREATE INDEX devices_by_user ON devices (user_id, status);

-- Per-user lockout state, shared by every replica. Later per-user state (backup codes,
-- trusted devices, events) gets tables of its own keyed by user_id.
CREATE TABLE users_state (
    user_id        TEXT PRIMARY KEY NOT NULL,
    failures       INTEGER NOT NULL DEFAULT 0,
    last_lock_secs INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER NOT NULL DEFAULT 0
);
