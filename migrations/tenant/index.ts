// The tenant migrations, bundled as text (wrangler `Text` rule) so provisioning can apply them
// from the Worker. Add each new numbered file here; a test checks the list matches the folder.
import m0001 from "./0001_system.sql";
import m0002 from "./0002_catalog.sql";
import m0003 from "./0003_functions.sql";
import m0004 from "./0004_catalog_indexes.sql";
import m0005 from "./0005_function_binder.sql";
import m0006 from "./0006_recompute_cursor.sql";
import m0007 from "./0007_api_accounts.sql";
import m0008 from "./0008_secret_kinds.sql";
import m0009 from "./0009_webhooks.sql";
import m0010 from "./0010_idempotency.sql";
import m0011 from "./0011_standing.sql";
import m0012 from "./0012_webhook_outbox.sql";

export const tenantMigrations = [
  { name: "0001_system", sql: m0001 },
  { name: "0002_catalog", sql: m0002 },
  { name: "0003_functions", sql: m0003 },
  { name: "0004_catalog_indexes", sql: m0004 },
  { name: "0005_function_binder", sql: m0005 },
  { name: "0006_recompute_cursor", sql: m0006 },
  { name: "0007_api_accounts", sql: m0007 },
  { name: "0008_secret_kinds", sql: m0008 },
  { name: "0009_webhooks", sql: m0009 },
  { name: "0010_idempotency", sql: m0010 },
  { name: "0011_standing", sql: m0011 },
  { name: "0012_webhook_outbox", sql: m0012 },
];
