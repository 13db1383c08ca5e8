-- Account deletion (DESIGN §10): one row per requested deletion, kept as its progress report so a
-- deletion that fails midway is finished by the scheduled job. `email` is where the certificate
-- goes and is cleared once it is sent; `report` is JSON of what has been deleted so far. No foreign
-- key: the row outlives the account's other rows by design.
CREATE TABLE account_deletions (
  user_id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  requested_at INTEGER NOT NULL,
  completed_at INTEGER,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  report TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX account_deletions_pending ON account_deletions (completed_at, requested_at);
