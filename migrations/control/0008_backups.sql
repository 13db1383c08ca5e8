-- Backups (DESIGN §10): one row per recorded backup point of a workspace's database. On devdb a
-- snapshot id, on Turso a point-in-time-restore timestamp; `db_name` is the database it was taken
-- of (a restore swaps in a new one). The newest 10 per workspace are kept. No foreign key: a
-- deleted workspace's rows are swept (with their snapshots) by the daily job within 30 days.
CREATE TABLE workspace_backups (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  db_name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('snapshot', 'pitr')),
  ref TEXT NOT NULL,
  reason TEXT NOT NULL CHECK (reason IN ('daily', 'pre_migration', 'pre_restore', 'manual')),
  created_at INTEGER NOT NULL
);
CREATE INDEX workspace_backups_by_workspace ON workspace_backups (workspace_id, created_at);
