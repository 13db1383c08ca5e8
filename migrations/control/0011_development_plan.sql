-- islet:foreign-keys-off
-- The development plan (DESIGN §4: locally, a development plan with high limits keeps seeding
-- loops out of 429s; production refuses it, src/config.ts and src/services/operator/plan.ts).
-- SQLite cannot change a CHECK constraint in place, so the table is rebuilt as
-- https://www.sqlite.org/lang_altertable.html#otheralter describes: new table, copy, drop, rename.
-- The marker on the first line runs this migration with foreign-key enforcement off (the
-- migrator's `client.migrate`), so dropping the old table cascades into no membership or key.

CREATE TABLE workspaces_rebuilt (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  region TEXT NOT NULL CHECK (region IN ('us-east', 'us-west', 'eu-west', 'ap-south')),
  plan TEXT NOT NULL DEFAULT 'free'
    CHECK (plan IN ('free', 'pro', 'business', 'enterprise', 'development')),
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

INSERT INTO workspaces_rebuilt (id, slug, name, region, plan, status, db_name, db_url, db_token_enc,
  request_key, created_by, created_at, updated_at)
SELECT id, slug, name, region, plan, status, db_name, db_url, db_token_enc,
  request_key, created_by, created_at, updated_at
FROM workspaces;

DROP TABLE workspaces;

ALTER TABLE workspaces_rebuilt RENAME TO workspaces;
