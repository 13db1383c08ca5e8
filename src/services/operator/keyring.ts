import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { workspaces } from "../../db/control/schema";
import { tenantDb } from "../../db/tenant/client";
import { decryptSecret, encryptSecret, envelopeVersion, importKeyring } from "../../lib/crypto";
import type { ServiceArgs, ServiceContext } from "../core/context";
import { SEALED_COLUMNS, sealedColumnName } from "../inventory";
import { requireOperator } from "./credential";
import { controlSealedRecords, type SealedRecord, tenantSealedRecords } from "./sealed-records";

export interface ColumnReport {
  total: number;
  rotated: number;
  alreadyCurrent: number;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export interface RotationReport extends ColumnReport {
  /** By sealed column (`table.column`, every one the inventory lists). */
  columns: Record<string, ColumnReport>;
  failed: { column: string; workspaceId: string; id: string; error: string }[];
  /** Workspaces whose database could not be opened: their records were not rotated. */
  unreachable: { workspaceId: string; error: string }[];
}

export interface KeyringStatus {
  active: number;
  /**
   * Records each keyring version still encrypts, by sealed column (`table.column`). A version
   * with none may be dropped.
   */
  versions: Record<string, Record<string, number>>;
  /** Workspaces whose database could not be opened (their tenant records are not counted). */
  unreachable: string[];
}

/** Every sealed record, control first, then each active workspace's (opened with its token). */
async function* everyRecord(
  ctx: ServiceContext,
  onUnreachable: (workspaceId: string, error: unknown) => void,
): AsyncGenerator<SealedRecord[]> {
  const control = controlDb(ctx.config);
  yield await controlSealedRecords(control.$client);
  // Read again: the pass above may have re-encrypted the tokens the tenants are opened with.
  const tenants = await control.select().from(workspaces).where(eq(workspaces.status, "active"));
  for (const workspace of tenants) {
    try {
      yield await tenantSealedRecords(await tenantDb(ctx.config, workspace), workspace.id);
    } catch (error) {
      onUnreachable(workspace.id, error);
    }
  }
}

const emptyColumns = (): Record<string, ColumnReport> =>
  Object.fromEntries(
    SEALED_COLUMNS.map((c) => [sealedColumnName(c), { total: 0, rotated: 0, alreadyCurrent: 0 }]),
  );

/**
 * Re-encrypts every sealed record islet keeps (architecture §6), every column the domains declare, under
 * the keyring's active version: the control database's and every tenant's. Records already at the
 * active version are skipped, so an interrupted run resumes where it stopped; old versions stay
 * readable until `keyringStatus` shows none left. Each write is conditional on the envelope it
 * read, so a concurrent writer is never overwritten.
 */
export async function rotateKeyring({
  ctx,
  input,
}: ServiceArgs<{ onProgress?: (done: number, total: number) => void }>): Promise<RotationReport> {
  requireOperator(ctx);
  const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
  const report: RotationReport = {
    total: 0,
    rotated: 0,
    alreadyCurrent: 0,
    columns: emptyColumns(),
    failed: [],
    unreachable: [],
  };
  const workspaceCount = (await controlDb(ctx.config).select({ id: workspaces.id }).from(workspaces)).length;
  let batches = 0;
  const unreachable = (workspaceId: string, error: unknown) =>
    report.unreachable.push({ workspaceId, error: message(error) });
  for await (const batch of everyRecord(ctx, unreachable)) {
    for (const record of batch) {
      const column = report.columns[record.name] as ColumnReport;
      column.total++;
      report.total++;
      if (envelopeVersion(record.envelope) === keyring.active) {
        column.alreadyCurrent++;
        report.alreadyCurrent++;
        continue;
      }
      try {
        const plaintext = await decryptSecret(keyring, record.envelope, record.binding);
        if (await record.replace(await encryptSecret(keyring, plaintext, record.binding))) {
          column.rotated++;
          report.rotated++;
        } else {
          column.alreadyCurrent++;
          report.alreadyCurrent++;
        }
      } catch (error) {
        report.failed.push({
          column: record.name,
          workspaceId: record.workspaceId,
          id: record.id,
          error: message(error),
        });
      }
    }
    // The control pass, then one per workspace.
    if (batches++ > 0) input.onProgress?.(batches - 1, workspaceCount);
  }
  return report;
}

/** How many records each keyring version still encrypts, by sealed column (`keyring status`). */
export async function keyringStatus({ ctx }: ServiceArgs): Promise<KeyringStatus> {
  requireOperator(ctx);
  const status: KeyringStatus = { active: ctx.config.ISLET_KEYRING.active, versions: {}, unreachable: [] };
  for (const version of Object.keys(ctx.config.ISLET_KEYRING.keys)) status.versions[version] = {};
  for await (const batch of everyRecord(ctx, (id) => status.unreachable.push(id))) {
    for (const record of batch) {
      const version = String(envelopeVersion(record.envelope));
      const counts = status.versions[version] ?? {};
      status.versions[version] = counts;
      counts[record.name] = (counts[record.name] ?? 0) + 1;
    }
  }
  return status;
}

/** Whether a version may leave the keyring: not the active one, and no record encrypted under it. */
export function mayDropVersion(status: KeyringStatus, version: number): { ok: boolean; reason?: string } {
  if (version === status.active) return { ok: false, reason: "it is the active version" };
  if (status.unreachable.length > 0) {
    return { ok: false, reason: `${status.unreachable.length} workspace(s) could not be checked` };
  }
  const left = Object.values(status.versions[String(version)] ?? {}).reduce((a, b) => a + b, 0);
  return left > 0 ? { ok: false, reason: `${left} record(s) are still encrypted under it` } : { ok: true };
}
