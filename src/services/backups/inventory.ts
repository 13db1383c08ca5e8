// The backups domain's entry in the inventory (src/services/core/inventory.ts).
import type { DomainInventory } from "../core/inventory";

export const backupsInventory: DomainInventory = {
  domain: "backups",
  controlTables: {
    workspace_backups: { notExported: "points to restore the database to, meaningful only to this platform" },
    job_cursors: { notExported: "where the daily backup job stopped, a platform job's own state" },
  },
};
