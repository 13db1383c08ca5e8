// The inventory: every service domain's entry (src/services/core/inventory.ts), collected once.
// The keyring, the tenant scan and the operator's workspace view iterate it instead of naming each
// domain, and scripts/inventory.test.ts fails while a migration makes a table or sealed column that
// no entry claims. The workspace archive's sections are collected beside it (./archive.ts).
//
// The lifecycle and operator domains read this list, so they are not on it (the import board
// allows no cycle between domains): what they own is claimed below, here.
import { accountsInventory } from "../accounts/inventory";
import { auditInventory } from "../audit/inventory";
import { authInventory } from "../auth/inventory";
import { backupsInventory } from "../backups/inventory";
import type {
  ControlSealedColumn,
  DomainInventory,
  SealedColumn,
  TenantSealedColumn,
} from "../core/inventory";
import { functionsInventory } from "../functions/inventory";
import { idempotencyInventory } from "../idempotency/inventory";
import { issuersInventory } from "../issuers/inventory";
import { keysInventory } from "../keys/inventory";
import { mailInventory } from "../mail/inventory";
import { membersInventory } from "../members/inventory";
import { realtimeInventory } from "../realtime/inventory";
import { secretsInventory } from "../secrets/inventory";
import { securityLogInventory } from "../security-log/inventory";
import { tablesInventory } from "../tables/inventory";
import { webhooksInventory } from "../webhooks/inventory";
import { workspacesInventory } from "../workspaces/inventory";

const lifecycleInventory: DomainInventory = {
  domain: "lifecycle",
  controlTables: {
    account_deletions: { notExported: "a deletion's progress, kept after the account is gone" },
  },
};

/**
 * Every domain that keeps something. The order is the reports' order: sealed columns are rotated,
 * counted and listed in it (the control database's first, and of those the workspaces' database
 * tokens first, since the tenants are opened with them).
 */
export const INVENTORY: readonly DomainInventory[] = [
  authInventory,
  workspacesInventory,
  membersInventory,
  keysInventory,
  issuersInventory,
  tablesInventory,
  functionsInventory,
  secretsInventory,
  accountsInventory,
  webhooksInventory,
  auditInventory,
  idempotencyInventory,
  securityLogInventory,
  backupsInventory,
  realtimeInventory,
  mailInventory,
  lifecycleInventory,
];

/** Every column that holds AES-256-GCM envelopes (architecture §6), from each domain's entry. */
export const SEALED_COLUMNS: readonly SealedColumn[] = INVENTORY.flatMap((d) => d.sealed ?? []);

export const CONTROL_SEALED_COLUMNS = SEALED_COLUMNS.filter(
  (c): c is ControlSealedColumn => c.database === "control",
);
export const TENANT_SEALED_COLUMNS = SEALED_COLUMNS.filter(
  (c): c is TenantSealedColumn => c.database === "tenant",
);

export { sealedColumnName } from "../core/inventory";
