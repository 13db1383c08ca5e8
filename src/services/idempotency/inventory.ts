// The idempotency records' entry in the inventory (src/services/core/inventory.ts): a keyed
// write's record lives in the database the write changed (src/db/idempotency.ts).
import type { DomainInventory } from "../core/inventory";

const replay = { notExported: "answers kept 24 hours for retried requests" };

export const idempotencyInventory: DomainInventory = {
  domain: "idempotency",
  controlTables: { idempotency_records: replay },
  tenantTables: { _islet_idempotency: replay },
};
