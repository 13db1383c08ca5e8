-- Idempotency keys (issue 19, DESIGN §2): one row per principal and key, kept 24 h. The row is
-- written in the same transaction as the change it guards, so a change whose answer was lost
-- (a deadline, a crash) is still known on a retry; status and answer are added once the answer
-- is known. `id` is SHA-256 of the principal and the key; `fingerprint` of the operation and its
-- input. The answer never holds a secret shown once.
CREATE TABLE _islet_idempotency (
  id TEXT PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  status INTEGER,
  answer TEXT
);
CREATE INDEX _islet_idempotency_created ON _islet_idempotency (created_at);
