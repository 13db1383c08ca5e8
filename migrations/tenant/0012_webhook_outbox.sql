-- Webhooks are delivered at least once from commit (DESIGN §8, issue 31): an event is written to
-- this outbox in the same transaction as the change it announces, and a dispatcher turns it into
-- delivery rows (one per endpoint that may read it) and queue messages. A row here is an event not
-- yet fanned out; the dispatcher deletes it in the same batch that inserts its deliveries, so a
-- dispatch cut off anywhere leaves either the event or its deliveries, never neither.
CREATE TABLE _islet_webhook_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  event_type TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at INTEGER NOT NULL
);

-- Which event a delivery carries (its id is derived from the event and the endpoint, so a second
-- dispatch of the same event cannot make a second delivery), its order among the workspace's
-- events, and when the queue is due to attempt it: a pending delivery past that (and a grace
-- period) has no message that will attempt it, and the scheduled sweep sends it again.
ALTER TABLE _islet_webhook_deliveries ADD COLUMN event_seq INTEGER;
ALTER TABLE _islet_webhook_deliveries ADD COLUMN next_attempt_at INTEGER;
CREATE INDEX _islet_webhook_deliveries_due ON _islet_webhook_deliveries (status, next_attempt_at);
CREATE INDEX _islet_webhook_deliveries_created ON _islet_webhook_deliveries (created_at);
