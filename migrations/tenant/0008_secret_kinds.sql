-- One secrets API per workspace (DESIGN §6): the function secrets already stored become kind
-- 'env' (the kind functions bind); 'ai_provider' and 'generic' join them. Who set a secret is kept.
ALTER TABLE _islet_secrets ADD COLUMN kind TEXT NOT NULL DEFAULT 'env' CHECK (kind IN ('env', 'ai_provider', 'generic'));
ALTER TABLE _islet_secrets ADD COLUMN set_by TEXT;
