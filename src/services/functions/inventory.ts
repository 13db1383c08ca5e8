// The functions domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const functionsInventory: DomainInventory = {
  domain: "functions",
  tenantTables: { _islet_functions: { archive: "function" } },
};
