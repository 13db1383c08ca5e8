-- Workspace membership invitations and workspace-registered end-user token issuers (DESIGN §3).
-- Timestamps are Unix epoch milliseconds. Tokens are stored only hashed, secrets only encrypted.

CREATE TABLE invitations (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  email TEXT NOT NULL COLLATE NOCASE,
  role TEXT NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
  -- SHA-256 of the 32-byte random token; the token itself is only ever in the invitation email
  token_hash TEXT NOT NULL UNIQUE,
  invited_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  accepted_at INTEGER,
  accepted_by TEXT,
  revoked_at INTEGER
);
CREATE INDEX invitations_workspace ON invitations(workspace_id);

CREATE TABLE issuers (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('hs256', 'jwks')),
  -- the `iss` claim tokens from this issuer carry; unique per workspace so lookup is unambiguous
  issuer TEXT NOT NULL,
  audience TEXT NOT NULL,
  -- AES-256-GCM envelope bound to (workspace id, 'issuer_secret', issuer id); hs256 only
  secret_enc TEXT,
  jwks_url TEXT,
  role_claim TEXT NOT NULL DEFAULT 'role',
  default_role TEXT NOT NULL CHECK (default_role IN ('member', 'viewer')),
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  CHECK ((kind = 'hs256' AND secret_enc IS NOT NULL AND jwks_url IS NULL)
      OR (kind = 'jwks' AND jwks_url IS NOT NULL AND secret_enc IS NULL)),
  UNIQUE (workspace_id, issuer)
);
