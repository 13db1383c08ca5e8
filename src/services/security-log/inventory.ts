// The platform security log's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const securityLogInventory: DomainInventory = {
  domain: "security-log",
  controlTables: { security_log: { account: "securityEvents" } },
};
