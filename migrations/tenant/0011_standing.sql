-- Standing arrangements answer to their creator (DESIGN §3 "authority over time"): a webhook
-- endpoint or an API account stops when the principal who set it up could no longer have done so.
-- `authorized_at` is when `created_by` last stood behind it (creation, or a later change of its
-- target by another principal, who then answers for it); an account can now be disabled as an
-- endpoint can, with the reason shown to its workspace's admins.
ALTER TABLE _islet_webhooks ADD COLUMN authorized_at INTEGER;
ALTER TABLE _islet_api_accounts ADD COLUMN authorized_at INTEGER;
ALTER TABLE _islet_api_accounts ADD COLUMN disabled_at INTEGER;
ALTER TABLE _islet_api_accounts ADD COLUMN disabled_reason TEXT;
