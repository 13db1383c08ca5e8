-- System tables of every tenant database. User tables never start with `_islet_`.

CREATE TABLE _islet_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

-- Append-only, hash-chained audit log (DESIGN §9). Timestamps are epoch milliseconds.
CREATE TABLE _islet_audit_log (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  action TEXT NOT NULL,
  target_type TEXT,
  target_id TEXT,
  ip TEXT,
  user_agent TEXT,
  request_id TEXT,
  details TEXT NOT NULL DEFAULT '{}',
  -- UNIQUE keeps the chain linear: two writers racing from the same tail cannot both commit
  prev_hash TEXT NOT NULL UNIQUE,
  hash TEXT NOT NULL
);
CREATE INDEX _islet_audit_log_ts ON _islet_audit_log(ts);
CREATE INDEX _islet_audit_log_action ON _islet_audit_log(action);

CREATE TRIGGER _islet_audit_log_no_update BEFORE UPDATE ON _islet_audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER _islet_audit_log_no_delete BEFORE DELETE ON _islet_audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit log is append-only');
END;
