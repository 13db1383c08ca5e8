// The tables domain's entry in the inventory (src/services/core/inventory.ts). Users' own tables
// are made at run time, not by migrations: the archive carries them as `row` lines after their
// `table` line, a section that sits with the rows (src/services/rows/archive.ts), which read both.
import type { DomainInventory } from "../core/inventory";

/** `uniqueIndexName` (./definition.ts): `_islet_unique:<table>.<column>`. */
const UNIQUE_INDEX = /^_islet_unique:([a-z][a-z0-9_]*)\.[a-z][a-z0-9_]*$/;

export const tablesInventory: DomainInventory = {
  domain: "tables",
  tenantTables: { _islet_tables: { archive: "table" } },
  // The unique index islet makes for a `unique` column, on a table the catalog lists.
  async reservedObjects(db) {
    const userTables = new Set(
      (await db.execute("SELECT name FROM _islet_tables")).rows.map((r) => String(r.name)),
    );
    return (object) => {
      const unique = UNIQUE_INDEX.exec(object.name);
      const table = unique?.[1];
      return object.type === "index" && table === object.table && userTables.has(table);
    };
  },
};
