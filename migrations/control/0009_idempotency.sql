-- Idempotency keys of requests that change the control database only (an account's sessions,
-- its password, an invitation accepted, operator actions): the same shape as the tenant table
-- `_islet_idempotency` (migrations/tenant/0010_idempotency.sql), kept 24 h.
CREATE TABLE idempotency_records (
  id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status INTEGER,
  answer TEXT
);
CREATE INDEX idempotency_records_created ON idempotency_records (created_at);
