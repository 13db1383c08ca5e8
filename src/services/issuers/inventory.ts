// The issuers domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const issuersInventory: DomainInventory = {
  domain: "issuers",
  controlTables: { issuers: { archive: "issuer" } },
  sealed: [
    {
      database: "control",
      table: "issuers",
      column: "secret_enc",
      idColumn: "id",
      workspaceColumn: "workspace_id",
      kind: "issuer_secret",
      nullable: true,
    },
  ],
};
