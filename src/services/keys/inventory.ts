// The keys domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const keysInventory: DomainInventory = {
  domain: "keys",
  // By prefix and metadata only; an archive never carries a credential.
  controlTables: { api_keys: { account: "keys" } },
};
