// What each service domain keeps (architecture §14: "each domain contributes its own export/import/
// rotation/scan sections"), said by the domain beside its code, in src/services/<domain>/inventory.ts.
// src/services/inventory collects the entries; the keyring (rotation, status, drop), the tenant scan
// and the operator's workspace view read them, and scripts/inventory.test.ts fails while a migration
// creates a table or a `*_enc` column that no entry claims. How a domain's records travel in a
// workspace archive is its archive section (./archive.ts), kept apart because it calls the domain's
// verbs, which the operator CLI does not load.
import type { Client } from "@libsql/client/web";
import type { SecretKind } from "../../lib/crypto";

/**
 * What the exports do with a table (architecture §10), so that a new table is a decision, not an
 * omission: the workspace archive's line type that carries it, the account export's field that
 * does, or why neither does.
 */
export type Carried = { archive: string } | { account: string } | { notExported: string };

interface Sealed {
  table: string;
  column: string;
  /** The column naming the record: the envelope's binding record id (src/lib/crypto secretBinding). */
  idColumn: string;
  /** The binding kind the envelopes are sealed under. */
  kind: SecretKind;
  /** NULL means "no secret here" (an issuer without one, an endpoint with no previous secret). */
  nullable: boolean;
}

/** A sealed column of the control database: its rows name the workspace they belong to. */
export interface ControlSealedColumn extends Sealed {
  database: "control";
  /** The column naming the record's workspace: the binding's workspace id. */
  workspaceColumn: string;
}

/** A sealed column of every tenant database: its records belong to that database's workspace. */
export interface TenantSealedColumn extends Sealed {
  database: "tenant";
}

/** A column holding AES-256-GCM envelopes (architecture §6); by convention its name ends in `_enc`. */
export type SealedColumn = ControlSealedColumn | TenantSealedColumn;

/** How reports name a sealed column: `table.column`. */
export const sealedColumnName = (c: SealedColumn) => `${c.table}.${c.column}`;

/** The checks of `islet tenants scan`, in the order its report lists them. */
export const SCAN_CHECKS = ["audit_triggers", "audit_chain", "schema", "reserved_objects", "sealed"] as const;
export type ScanCheck = (typeof SCAN_CHECKS)[number];

/** An object of a tenant database's schema, as sqlite_schema lists it. */
export interface SchemaObject {
  type: string;
  name: string;
  /** The table it belongs to (an index's or trigger's table; a table's own name). */
  table: string;
}

/** A domain's own check of a tenant database in `tenants scan`. */
export interface TenantScanHook {
  check: ScanCheck;
  /** Problems found (none is a pass); `auditEvents`, when the check counts the audit log. */
  run(db: Client): Promise<{ problems: string[]; auditEvents?: number }>;
}

/** One domain's entry in the inventory. */
export interface DomainInventory {
  /** The service domain, as its folder under src/services is named. */
  domain: string;
  /** The tables it owns in every tenant database (made by migrations/tenant). */
  tenantTables?: Readonly<Record<string, Carried>>;
  /** The tables it owns in the control database (made by migrations/control). */
  controlTables?: Readonly<Record<string, Carried>>;
  /** Its columns of sealed records: what the keyring rotates and counts and the scan opens. */
  sealed?: readonly SealedColumn[];
  /**
   * What the domain makes at run time in a tenant's reserved `_islet_` namespace (the migrations'
   * objects aside): the scan accepts these and reports any other object there.
   */
  reservedObjects?(db: Client): Promise<(object: SchemaObject) => boolean>;
  /** Its own check in `tenants scan`. */
  scan?: TenantScanHook;
}
