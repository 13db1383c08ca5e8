// The mail domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const mailInventory: DomainInventory = {
  domain: "mail",
  controlTables: { dev_outbox: { notExported: "mail caught in local development, never in production" } },
};
