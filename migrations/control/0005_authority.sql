-- Authority over time (DESIGN §3): a credential stops when its creator could no longer have made it.

-- Issuers are disabled (not deleted, so the record of what they were stays) when their creator is
-- removed, demoted below admin, or was an unverified account that was taken over. An issuer may be
-- confined to some tables, as keys are (JSON array; NULL: every table).
ALTER TABLE issuers ADD COLUMN disabled_at INTEGER;
ALTER TABLE issuers ADD COLUMN disabled_reason TEXT;
ALTER TABLE issuers ADD COLUMN tables TEXT;

-- A key minted by another key names it: revoking or rotating the parent revokes its descendants.
ALTER TABLE api_keys ADD COLUMN parent_id TEXT;
CREATE INDEX api_keys_parent ON api_keys(parent_id);
