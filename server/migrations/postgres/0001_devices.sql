-- TOTP devices. The secret is stored only encrypted (key_id, nonce, ciphertext); the
-- associated data binds it to (user_id, id). last_step is the last accepted time step:
-- a code is accepted only by advancing it (UPDATE ... WHERE last_step < step).
CREATE TABLE devices (
    id                 TEXT PRIMARY KEY NOT NULL,
    user_id            TEXT NOT NULL,
    name               TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('pending', 'active')),
    algorithm          TEXT NOT NULL,
    digits             BIGINT NOT NULL,
    period             BIGINT NOT NULL,
    key_id             TEXT NOT NULL,
    nonce              BYTEA NOT NULL,
    ciphertext         BYTEA NOT NULL,
    last_step          BIGINT NOT NULL DEFAULT -1,
    created_at         BIGINT NOT NULL,
    pairing_expires_at BIGINT NOT NULL,
    confirmed_at       BIGINT,
    last_used_at       BIGINT
);
CREATE INDEX devices_by_user ON devices (user_id, status);

-- Per-user lockout state, shared by every replica. Later per-user state (backup codes,
-- trusted devices, events) gets tables of its own keyed by user_id.
CREATE TABLE users_state (
    user_id        TEXT PRIMARY KEY NOT NULL,
    failures       BIGINT NOT NULL DEFAULT 0,
    last_lock_secs BIGINT NOT NULL DEFAULT 0,
    locked_until   BIGINT NOT NULL DEFAULT 0
);
