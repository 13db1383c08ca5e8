// The realtime domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const realtimeInventory: DomainInventory = {
  domain: "realtime",
  controlTables: { socket_tickets: { notExported: "single-use connection tickets, 30 seconds long" } },
};
