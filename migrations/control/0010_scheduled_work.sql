-- The workspaces the webhook sweep visits (DESIGN §8): those with an endpoint, registered before
-- the endpoint is made (and by the dispatcher, for endpoints older than this table), so the
-- scheduled sweep re-sends what stayed pending without opening every tenant database. `swept_at`
-- orders the visits: a run that stops at its bound resumes with the longest unvisited.
CREATE TABLE webhook_workspaces (
  workspace_id TEXT PRIMARY KEY,
  registered_at INTEGER NOT NULL,
  swept_at INTEGER
);
CREATE INDEX webhook_workspaces_by_sweep ON webhook_workspaces (swept_at);

-- Where a scheduled job that covers the fleet over several runs stopped (issue 31): the daily
-- backup takes a bounded batch per run and resumes after `cursor` (a workspace id) the next time.
CREATE TABLE job_cursors (
  job TEXT PRIMARY KEY,
  cursor TEXT,
  cycle_started_at INTEGER,
  updated_at INTEGER NOT NULL
);

-- The provider's point-in-time window (Turso keeps a database's history for its plan's retention
-- period): a `pitr` backup can be restored only until `restorable_until`. Null for snapshots,
-- which are files kept until they are dropped.
ALTER TABLE workspace_backups ADD COLUMN restorable_until INTEGER;
