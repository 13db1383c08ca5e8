-- Webhook endpoints and their delivery log (Standard Webhooks, DESIGN §8). The signing secret is
-- an AES-256-GCM envelope bound to (workspace, 'webhook_secret', endpoint id); a rotation keeps
-- the previous one until previous_until, and both sign meanwhile.
CREATE TABLE _islet_webhooks (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  events TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  enabled INTEGER NOT NULL DEFAULT 1,
  secret_enc TEXT NOT NULL,
  previous_secret_enc TEXT,
  previous_until INTEGER,
  failing_since INTEGER,
  disabled_reason TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE _islet_webhook_deliveries (
  id TEXT PRIMARY KEY,
  endpoint_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_latency_ms INTEGER,
  response_excerpt TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX _islet_webhook_deliveries_endpoint ON _islet_webhook_deliveries (endpoint_id, created_at);
