// `islet tenants scan` (seed 001's automated scans, turned on our own tenants): every tenant
// database is checked for what islet's security rests on. The audit log's append-only triggers
// are present and unaltered, the schema ledger matches the latest migrations exactly, nothing in
// the reserved `_islet_` namespace was made by anyone else, every sealed record of the workspace
// (each sealed column of the inventory, control and tenant) opens under the keyring and its own
// binding (no plaintext, no envelope moved from another record, none under a version the keyring
// no longer holds), and each domain's own check of the inventory passes (the audit log's hash
// chain verifies).
import { asc, eq } from "drizzle-orm";
import { z } from "zod";
import { tenantMigrations } from "../../../migrations/tenant";
import type { Config } from "../../config";
import { controlDb } from "../../db/control/client";
import { type WorkspaceRow, workspaces } from "../../db/control/schema";
import { splitStatements } from "../../db/migrator";
import { tenantDb } from "../../db/tenant/client";
import { decryptSecret, importKeyring, sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { mapPool } from "../../lib/pool";
import { parseInput, type ServiceArgs } from "../core/context";
import { SCAN_CHECKS, type ScanCheck, type SchemaObject } from "../core/inventory";
import { INVENTORY } from "../inventory";
import { requireOperator } from "./credential";
import { controlSealedRecords, type SealedRecord, tenantSealedRecords } from "./sealed-records";

export type { ScanCheck } from "../core/inventory";

export interface TenantScan {
  workspaceId: string;
  slug: string;
  ok: boolean;
  /** Each check's problems; an empty list is a pass. */
  checks: Record<ScanCheck, string[]>;
  auditEvents: number;
  ms: number;
}

const scanInput = z.object({
  concurrency: z.number().int().min(1).max(64).default(4),
  workspaceId: z.string().optional(),
});

/** What the migrations create in the `_islet_` namespace, and each trigger's exact text. */
interface Expected {
  objects: Map<string, string>;
  triggers: Map<string, string>;
  ledger: Map<string, string>;
}

let expected: Promise<Expected> | undefined;

async function expectedObjects(): Promise<Expected> {
  const objects = new Map<string, string>([["_islet_migrations", "table"]]);
  const triggers = new Map<string, string>();
  const ledger = new Map<string, string>();
  for (const migration of tenantMigrations) {
    ledger.set(migration.name, await sha256Hex(migration.sql));
    for (const statement of splitStatements(migration.sql)) {
      const created =
        /^CREATE\s+(?:UNIQUE\s+)?(TABLE|INDEX|TRIGGER|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?("?)(_islet_[A-Za-z0-9_]+)\2/i.exec(
          statement,
        );
      if (!created) continue;
      const [, type = "", , name = ""] = created;
      objects.set(name, type.toLowerCase());
      if (type.toUpperCase() === "TRIGGER") triggers.set(name, statement);
    }
  }
  return { objects, triggers, ledger };
}

/** Each sealed record that does not open under its own binding, as `table.column id: reason`. */
async function unopenedRecords(config: Config, records: SealedRecord[]): Promise<string[]> {
  const keyring = await importKeyring(config.ISLET_KEYRING);
  const problems: string[] = [];
  for (const record of records) {
    try {
      await decryptSecret(keyring, record.envelope, record.binding);
    } catch (error) {
      problems.push(`${record.name} ${record.id}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

/** Scans one tenant; an unreachable database is a failed scan, not an exception. */
async function scanTenant(
  config: Config,
  ws: WorkspaceRow,
  controlSealed: SealedRecord[],
): Promise<TenantScan> {
  const started = Date.now();
  const checks = Object.fromEntries(
    SCAN_CHECKS.map((check) => [check, [] as string[]]),
  ) as TenantScan["checks"];
  let auditEvents = 0;
  try {
    expected ??= expectedObjects();
    const want = await expected;
    const client = await tenantDb(config, ws);
    const master = await client.execute(
      "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name LIKE '\\_islet\\_%' ESCAPE '\\'",
    );
    const present = new Map(master.rows.map((r) => [String(r.name), r]));
    for (const [name, sql] of want.triggers) {
      const row = present.get(name);
      if (!row) checks.audit_triggers.push(`${name} is missing`);
      else if (String(row.sql).trim() !== sql.trim()) checks.audit_triggers.push(`${name} was altered`);
    }
    // What domains make there at run time (a `unique` column's index), each domain's own rule.
    const madeByDomains: ((object: SchemaObject) => boolean)[] = [];
    for (const entry of INVENTORY)
      if (entry.reservedObjects) madeByDomains.push(await entry.reservedObjects(client));
    for (const [name, row] of present) {
      const object = { type: String(row.type), name, table: String(row.tbl_name) };
      if (want.objects.get(name) === object.type) continue;
      if (madeByDomains.some((made) => made(object))) continue;
      checks.reserved_objects.push(`${object.type} ${name} was not created by islet`);
    }
    const ledger = await client.execute("SELECT name, checksum FROM _islet_migrations");
    const applied = new Map(ledger.rows.map((r) => [String(r.name), String(r.checksum)]));
    for (const [name, checksum] of want.ledger) {
      const found = applied.get(name);
      if (found === undefined) checks.schema.push(`migration ${name} is not applied`);
      else if (found !== checksum) checks.schema.push(`migration ${name} differs from the repository's`);
    }
    for (const name of applied.keys())
      if (!want.ledger.has(name)) checks.schema.push(`migration ${name} is unknown to this release`);
    checks.sealed.push(
      ...(await unopenedRecords(config, [...controlSealed, ...(await tenantSealedRecords(client, ws.id))])),
    );
    for (const { scan } of INVENTORY) {
      if (!scan) continue;
      const found = await scan.run(client);
      checks[scan.check].push(...found.problems);
      if (found.auditEvents !== undefined) auditEvents = found.auditEvents;
    }
  } catch (error) {
    checks.schema.push(`unreachable: ${error instanceof Error ? error.message : String(error)}`);
  }
  const ok = Object.values(checks).every((problems) => problems.length === 0);
  return { workspaceId: ws.id, slug: ws.slug, ok, checks, auditEvents, ms: Date.now() - started };
}

/** Scans every active tenant (or one), `concurrency` at a time, reporting each as it finishes. */
export async function scanTenants({
  ctx,
  input: raw,
}: ServiceArgs<{
  concurrency?: number;
  workspaceId?: string;
  onProgress?: (scan: TenantScan, done: number, total: number) => void;
}>): Promise<TenantScan[]> {
  requireOperator(ctx);
  const input = parseInput(scanInput, { concurrency: raw.concurrency, workspaceId: raw.workspaceId });
  const tenants = (
    await controlDb(ctx.config)
      .select()
      .from(workspaces)
      .where(eq(workspaces.status, "active"))
      .orderBy(asc(workspaces.createdAt))
  ).filter((ws) => input.workspaceId === undefined || ws.id === input.workspaceId);
  // A named workspace that is not there is a mistake to report, not an empty scan that passes.
  if (input.workspaceId !== undefined && tenants.length === 0)
    throw new ApiError("not_found", `No active workspace has the id ${input.workspaceId}`);
  // The control database's sealed records, read once and handed to each workspace's scan.
  const controlSealed = new Map<string, SealedRecord[]>();
  for (const record of await controlSealedRecords(controlDb(ctx.config).$client, input.workspaceId)) {
    controlSealed.set(record.workspaceId, [...(controlSealed.get(record.workspaceId) ?? []), record]);
  }
  return mapPool(
    tenants,
    input.concurrency,
    (ws) => scanTenant(ctx.config, ws, controlSealed.get(ws.id) ?? []),
    raw.onProgress,
  );
}
