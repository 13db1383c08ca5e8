// The audit domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";
import { verifyChain } from "./verify";

export const auditInventory: DomainInventory = {
  domain: "audit",
  tenantTables: {
    // Each account's own events; the whole log leaves through the audit export (NDJSON or CSV).
    _islet_audit_log: { account: "audit" },
  },
  // The hash chain verifies end to end (architecture §9): a row removed, inserted or altered breaks it.
  scan: {
    check: "audit_chain",
    async run(db) {
      const chain = await verifyChain(db);
      const broken = chain.ok ? undefined : chain.firstBroken;
      return {
        problems: broken ? [`broken at seq ${broken.seq} (${broken.reason})`] : [],
        auditEvents: chain.checked,
      };
    },
  },
};
