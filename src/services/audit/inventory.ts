// The audit domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const auditInventory: DomainInventory = {
  domain: "audit",
  tenantTables: {
    // Each account's own events; the whole log leaves through the audit export (NDJSON or CSV).
    _islet_audit_log: { account: "audit" },
  },
};
