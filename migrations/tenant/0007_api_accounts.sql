-- API accounts (DESIGN §7): a stored upstream whose auth header islet injects server-side. The
-- header's value is write-only: an AES-256-GCM envelope bound to (workspace, 'api_account', name).
CREATE TABLE _islet_api_accounts (
  name TEXT PRIMARY KEY,
  base_url TEXT NOT NULL,
  auth_header_name TEXT NOT NULL,
  auth_header_enc TEXT NOT NULL,
  last4 TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
