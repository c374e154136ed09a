-- Audit log: one row per change to a user's second factor, written in the same transaction
-- as the change. id only grows, so "newest first" is "id descending" and `before=<id>`
-- pages are stable. detail is JSON text (never a secret, a code or a token) or NULL.
CREATE TABLE events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    at         BIGINT NOT NULL,
    ip         TEXT,
    user_agent TEXT,
    detail     TEXT
);
CREATE INDEX events_by_user ON events (user_id, id DESC);
