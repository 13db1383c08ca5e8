// The API accounts domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const accountsInventory: DomainInventory = {
  domain: "accounts",
  // Without the auth header's value (an import may supply it).
  tenantTables: { _islet_api_accounts: { archive: "account" } },
  sealed: [
    {
      database: "tenant",
      table: "_islet_api_accounts",
      column: "auth_header_enc",
      idColumn: "name",
      kind: "api_account",
      nullable: false,
    },
  ],
};
