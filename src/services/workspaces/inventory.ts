// The workspaces domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const workspacesInventory: DomainInventory = {
  domain: "workspaces",
  controlTables: {
    // The archive's header names the workspace (id, name, slug, region); the account export's
    // memberships name each of the account's.
    workspaces: { account: "memberships" },
  },
  tenantTables: {
    _islet_meta: {
      notExported: "the database's own workspace id and region, written when it is provisioned",
    },
  },
  sealed: [
    {
      database: "control",
      table: "workspaces",
      column: "db_token_enc",
      idColumn: "id",
      workspaceColumn: "id",
      kind: "db_token",
      nullable: true,
    },
  ],
};
