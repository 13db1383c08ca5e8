-- Control plane: identities, workspaces and their databases, memberships, keys, sessions.
-- Timestamps are Unix epoch milliseconds (INTEGER). Secrets are stored only hashed or encrypted.

CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  name TEXT,
  password_hash TEXT,
  password_changed_at INTEGER,
  email_verified_at INTEGER,
  created_at INTEGER NOT NULL,
  deleted_at INTEGER
);

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  region TEXT NOT NULL CHECK (region IN ('us-east', 'us-west', 'eu-west', 'ap-south')),
  plan TEXT NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'pro', 'business', 'enterprise')),
  status TEXT NOT NULL DEFAULT 'provisioning' CHECK (status IN ('provisioning', 'active', 'deleting')),
  db_name TEXT NOT NULL UNIQUE,
  db_url TEXT,
  -- AES-256-GCM envelope bound to (workspace id, 'db_token', workspace id); see src/lib/crypto.ts
  db_token_enc TEXT,
  -- idempotency: the same provisioning request twice yields one workspace and one database
  request_key TEXT UNIQUE,
  created_by TEXT REFERENCES users(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE memberships (
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships(user_id);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  -- SHA-256 of the secret part only; the key id is the lookup
  secret_hash TEXT NOT NULL,
  scopes TEXT NOT NULL DEFAULT '[]',
  tables TEXT,
  per_minute INTEGER,
  monthly_cap INTEGER,
  expires_at INTEGER,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  rotated_to TEXT
);
CREATE INDEX api_keys_workspace ON api_keys(workspace_id);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  -- the current refresh token of this session's rotation family, hashed
  refresh_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  revoked_at INTEGER,
  ip TEXT,
  user_agent TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

-- Security events without a tenant (DESIGN §9): kept until purge_after, then removed.
CREATE TABLE security_log (
  id TEXT PRIMARY KEY,
  ts INTEGER NOT NULL,
  action TEXT NOT NULL,
  actor_type TEXT NOT NULL,
  actor_id TEXT,
  subject_user_id TEXT,
  ip TEXT,
  user_agent TEXT,
  request_id TEXT,
  details TEXT NOT NULL DEFAULT '{}',
  purge_after INTEGER
);
CREATE INDEX security_log_ts ON security_log(ts);
