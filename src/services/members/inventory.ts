// The members domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const membersInventory: DomainInventory = {
  domain: "members",
  controlTables: {
    memberships: { account: "memberships" },
    invitations: { notExported: "pending invitations are single-use links, not data" },
  },
};
