// The tables domain's entry in the inventory (src/services/core/inventory.ts). Users' own tables
// are made at run time, not by migrations: the archive carries them as `row` lines after their
// `table` line.
import type { DomainInventory } from "../core/inventory";

export const tablesInventory: DomainInventory = {
  domain: "tables",
  tenantTables: { _islet_tables: { archive: "table" } },
};
