-- Accounts and sessions (DESIGN §3): refresh-token families, email tokens, OIDC identities and
-- login states, and the development mail outbox. Timestamps are Unix epoch milliseconds.
-- Tokens are stored only as SHA-256 hex; nothing here can be replayed from a database dump.

-- Every refresh token a session ever had. The session's current one has rotated_at NULL;
-- presenting a rotated one is reuse and revokes the whole session (RFC 6819 §5.2.2.3,
-- OAuth 2.1 §4.3.1).
CREATE TABLE refresh_tokens (
  hash TEXT PRIMARY KEY,
  session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  rotated_at INTEGER
);
CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);

-- Email verification (24 h) and password reset (1 h) tokens: 32 random bytes, single use.
-- `email` is the address the token was sent to; a token for an old address is worthless.
CREATE TABLE email_tokens (
  hash TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  purpose TEXT NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
  email TEXT NOT NULL COLLATE NOCASE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at INTEGER
);
CREATE INDEX email_tokens_user ON email_tokens(user_id, purpose);

-- An account's sign-ins at OIDC providers, by the provider's stable subject (never by email).
CREATE TABLE user_identities (
  provider TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  email TEXT,
  created_at INTEGER NOT NULL,
  last_login_at INTEGER NOT NULL,
  PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user ON user_identities(user_id);

-- Pending OIDC authorizations (10 minutes, single use), keyed by SHA-256 of `state`. The PKCE
-- verifier and nonce are derived from the state with a server key, so none is stored.
CREATE TABLE oidc_states (
  state_hash TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  return_to TEXT NOT NULL,
  region TEXT,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);

-- Mail written instead of sent when MAIL_PROVIDER=outbox (never in production): tests and
-- local development read it at GET /v1/dev/outbox.
CREATE TABLE dev_outbox (
  id TEXT PRIMARY KEY,
  ts INTEGER NOT NULL,
  to_addr TEXT NOT NULL COLLATE NOCASE,
  from_addr TEXT NOT NULL,
  subject TEXT NOT NULL,
  text_body TEXT NOT NULL,
  tag TEXT NOT NULL
);
CREATE INDEX dev_outbox_to ON dev_outbox(to_addr, ts);

CREATE INDEX security_log_subject ON security_log(subject_user_id);
