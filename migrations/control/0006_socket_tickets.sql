-- Single-use socket tickets (DESIGN §13): a browser cannot set headers on a WebSocket upgrade, so it
-- trades its credential for a ticket (30 s, one use) and presents that as `?ticket=`. Only the
-- ticket's SHA-256 is stored; it is bound to the credential that asked for it and to one workspace.
CREATE TABLE socket_tickets (
  hash TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  credential_type TEXT NOT NULL CHECK (credential_type IN ('key', 'session')),
  credential_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  -- The access token's issue time (sessions): "sign out everywhere" refuses tokens issued before it.
  credential_issued_at INTEGER,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX socket_tickets_expiry ON socket_tickets(expires_at);
