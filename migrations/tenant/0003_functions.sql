-- User functions (run in the QuickJS sandbox) and the secrets they may read as `env`.
CREATE TABLE _islet_functions (
  name TEXT PRIMARY KEY,
  code TEXT NOT NULL,
  timeout_ms INTEGER NOT NULL,
  env TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- Write-only: AES-256-GCM envelopes bound to (workspace, 'function_secret', name); see src/lib/crypto.ts.
CREATE TABLE _islet_secrets (
  name TEXT PRIMARY KEY,
  value_enc TEXT NOT NULL,
  last4 TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
