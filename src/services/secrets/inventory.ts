// The secrets domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const secretsInventory: DomainInventory = {
  domain: "secrets",
  // By name and kind: the values stay behind (an import may supply them).
  tenantTables: { _islet_secrets: { archive: "secret" } },
  sealed: [
    {
      database: "tenant",
      table: "_islet_secrets",
      column: "value_enc",
      idColumn: "name",
      kind: "function_secret",
      nullable: false,
    },
  ],
};
