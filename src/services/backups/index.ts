// Backups (architecture §10, seed 002): a backup point before every tenant migration and daily for
// every active workspace, the newest 10 kept per workspace. On devdb a point is a snapshot (a
// consistent copy of the namespace file), on Turso a point-in-time-restore timestamp. A restore
// makes a new database from the point and swaps it in; the old one goes unless a point-in-time
// backup still needs it (then the gc collects it once no backup names it).
import { and, desc, eq, inArray, notInArray } from "drizzle-orm";
import { z } from "zod";
import { tenantMigrations } from "../../../migrations/tenant";
import { controlDb } from "../../db/control/client";
import {
  type BackupReason,
  type WorkspaceBackupRow,
  type WorkspaceRow,
  workspaceBackups,
  workspaces,
} from "../../db/control/schema";
import { libsqlClient } from "../../db/libsql";
import { applyMigrations } from "../../db/migrator";
import { dbTokenBinding } from "../../db/tenant/client";
import { encryptSecret, importKeyring } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { ID_FORMATS, newId } from "../../lib/ids";
import { ProvisionError, provisionerFor } from "../../provision";
import type { BackupPoint } from "../../provision/provisioner";
import { recordAudit } from "../audit";
import { requireOperator } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { noteSecurityEvent } from "../security-log/record";

/** Backups kept per workspace (seed 002). */
export const MAX_BACKUPS = 10;

export interface BackupView {
  id: string;
  workspaceId: string;
  dbName: string;
  kind: "snapshot" | "pitr";
  reason: BackupReason;
  createdAt: string;
  /** Until when the provider can restore it (its point-in-time window); null: a snapshot file. */
  restorableUntil: string | null;
}

const view = (row: WorkspaceBackupRow): BackupView => ({
  id: row.id,
  workspaceId: row.workspaceId,
  dbName: row.dbName,
  kind: row.kind,
  reason: row.reason,
  createdAt: new Date(row.createdAt).toISOString(),
  restorableUntil: row.restorableUntil === null ? null : new Date(row.restorableUntil).toISOString(),
});

const pointOf = (row: WorkspaceBackupRow): BackupPoint => ({
  kind: row.kind,
  dbName: row.dbName,
  ref: row.ref,
});

/** A provisioner's refusal as the API's 502 (its message is safe; the upstream body was not kept). */
const upstream =
  (what: string) =>
  (error: unknown): never => {
    if (error instanceof ProvisionError) throw new ApiError("upstream_error", `${what}: ${error.message}`);
    throw error;
  };

/** The name a restore gives the new database: the workspace's stem, `-r` and the time. */
export function restoredDbName(dbName: string, now = Date.now()): string {
  return `${dbName.replace(/-r[0-9a-z]{1,12}$/, "")}-r${now.toString(36)}`;
}

/**
 * Records a backup point of the workspace's database now, then prunes beyond the newest 10.
 * A point that cannot be taken throws (a migration must not run without one).
 */
export async function recordBackup(
  ctx: ServiceContext,
  workspace: Pick<WorkspaceRow, "id" | "dbName">,
  reason: BackupReason,
  opts: { keep?: string } = {},
): Promise<BackupView> {
  const provisioner = provisionerFor(ctx.config);
  const point = await provisioner.backup(workspace.dbName).catch(upstream("The backup could not be taken"));
  const row: WorkspaceBackupRow = {
    id: newId("bak"),
    workspaceId: workspace.id,
    dbName: point.dbName,
    kind: point.kind,
    ref: point.ref,
    reason,
    createdAt: Date.now(),
    restorableUntil: point.restorableUntil ?? null,
  };
  const db = controlDb(ctx.config);
  await db.insert(workspaceBackups).values(row);
  const older = await db
    .select()
    .from(workspaceBackups)
    .where(eq(workspaceBackups.workspaceId, workspace.id))
    .orderBy(desc(workspaceBackups.createdAt), desc(workspaceBackups.id))
    .offset(MAX_BACKUPS)
    .limit(1000);
  await dropBackups(
    ctx,
    older.filter((r) => r.id !== opts.keep),
  );
  return view(row);
}

/** Frees each backup's storage, then its row; one that cannot be freed is kept for the next sweep. */
async function dropBackups(ctx: ServiceContext, rows: WorkspaceBackupRow[]): Promise<number> {
  const provisioner = provisionerFor(ctx.config);
  const dropped: string[] = [];
  for (const row of rows) {
    try {
      await provisioner.dropBackup(pointOf(row));
      dropped.push(row.id);
    } catch (error) {
      ctx.logger.warn("backup not dropped; kept for the next sweep", {
        backupId: row.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  if (dropped.length > 0)
    await controlDb(ctx.config).delete(workspaceBackups).where(inArray(workspaceBackups.id, dropped));
  return dropped.length;
}

/** Every backup of a workspace goes (the workspace is being deleted). Best effort; the sweep finishes. */
export async function destroyBackups(ctx: ServiceContext, workspaceId: string): Promise<number> {
  const rows = await controlDb(ctx.config)
    .select()
    .from(workspaceBackups)
    .where(eq(workspaceBackups.workspaceId, workspaceId));
  return dropBackups(ctx, rows);
}

/**
 * Backups whose workspace no longer exists (its deletion could not drop them all): dropped. Run
 * by the daily job, so a deleted workspace's backups are gone within a day, well within 30.
 */
export async function sweepOrphanBackups(ctx: ServiceContext): Promise<number> {
  const db = controlDb(ctx.config);
  const live = db.select({ id: workspaces.id }).from(workspaces);
  const rows = await db
    .select()
    .from(workspaceBackups)
    .where(notInArray(workspaceBackups.workspaceId, live))
    .limit(1000);
  return dropBackups(ctx, rows);
}

/** The database names backups still need (Turso's history lives in the database). */
export async function databasesBackupsNeed(ctx: ServiceContext): Promise<Set<string>> {
  const rows = await controlDb(ctx.config)
    .select({ dbName: workspaceBackups.dbName })
    .from(workspaceBackups)
    .where(eq(workspaceBackups.kind, "pitr"));
  return new Set(rows.map((r) => r.dbName));
}

const workspaceIdInput = z.object({ workspaceId: z.string().regex(ID_FORMATS.workspace) }).strict();

async function activeWorkspace(ctx: ServiceContext, workspaceId: string): Promise<WorkspaceRow> {
  const [row] = await controlDb(ctx.config).select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!row) throw new ApiError("not_found", "Workspace not found (a deleted workspace cannot be restored)");
  if (row.status !== "active") throw new ApiError("conflict", `The workspace is ${row.status}`);
  return row;
}

/** An operator's list of a workspace's backups, newest first. */
export async function listBackups({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<BackupView[]> {
  requireOperator(ctx);
  const input = parseInput(workspaceIdInput, raw);
  const rows = await controlDb(ctx.config)
    .select()
    .from(workspaceBackups)
    .where(eq(workspaceBackups.workspaceId, input.workspaceId))
    .orderBy(desc(workspaceBackups.createdAt), desc(workspaceBackups.id));
  return rows.map(view);
}

/** An operator's backup point, taken now. */
export async function takeBackup({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<BackupView> {
  requireOperator(ctx);
  const input = parseInput(workspaceIdInput, raw);
  return recordBackup(ctx, await activeWorkspace(ctx, input.workspaceId), "manual");
}

/** A point-in-time backup recorded before its window was (the shortest the provider offers). */
const LEGACY_PITR_WINDOW_MS = 86_400_000;

/**
 * A point-in-time backup is a timestamp in the provider's history, which it keeps for a window
 * only (Turso: 24 hours to 90 days by plan): past it, a restore would make nothing, or an empty
 * database, so it is refused before anything is made.
 */
function refuseOutsideWindow(backup: WorkspaceBackupRow, now = Date.now()): void {
  if (backup.kind !== "pitr") return;
  const until = backup.restorableUntil ?? backup.createdAt + LEGACY_PITR_WINDOW_MS;
  if (now <= until) return;
  const taken = new Date(backup.createdAt).toISOString();
  const closed = new Date(until).toISOString();
  throw new ApiError(
    "gone",
    `Backup ${backup.id} (taken ${taken}) is outside the provider's point-in-time window, which closed on it at ${closed}; restore a newer backup`,
    { details: { backupId: backup.id, takenAt: taken, restorableUntil: closed } },
  );
}

export const restoreInput = z
  .object({
    workspaceId: z.string().regex(ID_FORMATS.workspace),
    backupId: z.string().regex(/^bak_[0-9a-z]{26}$/),
    reason: z.string().trim().min(8).max(1000),
  })
  .strict();

export interface RestoreResult {
  workspaceId: string;
  backup: BackupView;
  /** The point taken of the database as it was just before, so the restore can itself be undone. */
  safetyBackup: BackupView;
  previousDbName: string;
  dbName: string;
}

/**
 * `tenants restore`: the workspace's database as of a backup, in a new database that is migrated
 * to the latest schema, given the restore's audit event, and then swapped in by one conditional
 * update. A failure before the swap destroys the new database and leaves the workspace as it was;
 * a deleted workspace is refused. The database as it was is backed up first.
 */
export async function restoreBackup({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; backupId: string; reason: string }>): Promise<RestoreResult> {
  const operatorId = requireOperator(ctx);
  const input = parseInput(restoreInput, raw);
  const workspace = await activeWorkspace(ctx, input.workspaceId);
  const db = controlDb(ctx.config);
  const [backup] = await db
    .select()
    .from(workspaceBackups)
    .where(and(eq(workspaceBackups.id, input.backupId), eq(workspaceBackups.workspaceId, workspace.id)));
  if (!backup) throw new ApiError("not_found", "Backup not found");
  refuseOutsideWindow(backup);
  const provisioner = provisionerFor(ctx.config);
  const dbName = restoredDbName(workspace.dbName);
  const database = await provisioner
    .restore(pointOf(backup), dbName, workspace.region)
    .catch(upstream("The backup could not be restored; the workspace is unchanged"));
  const details = {
    operatorId,
    reason: input.reason,
    backupId: backup.id,
    backupTakenAt: new Date(backup.createdAt).toISOString(),
    previousDb: workspace.dbName,
    db: dbName,
  };
  let safetyBackup: BackupView;
  try {
    const tenant = libsqlClient(database.url, database.token);
    await applyMigrations(tenant, tenantMigrations);
    await recordAudit(ctx, tenant, {
      action: "workspace.restore",
      targetType: "workspace",
      targetId: workspace.id,
      details,
    });
    const keyring = await importKeyring(ctx.config.ISLET_KEYRING);
    const dbTokenEnc = await encryptSecret(keyring, database.token, dbTokenBinding(workspace.id));
    // The point of the database as it is, taken as late as possible: writes between it and the
    // swap are the only ones a restore loses from every backup. It never prunes the point being
    // restored.
    safetyBackup = await recordBackup(ctx, workspace, "pre_restore", { keep: backup.id });
    const [swapped] = await db
      .update(workspaces)
      .set({ dbName, dbUrl: database.url, dbTokenEnc, updatedAt: Date.now() })
      .where(
        and(
          eq(workspaces.id, workspace.id),
          eq(workspaces.status, "active"),
          eq(workspaces.dbName, workspace.dbName),
        ),
      )
      .returning();
    if (!swapped)
      throw new ApiError("conflict", "The workspace changed during the restore; nothing was swapped");
  } catch (error) {
    await provisioner.destroy(dbName).catch((destroyError: unknown) =>
      ctx.logger.error("restored database not destroyed after a failed restore; gc will", {
        dbName,
        error: destroyError instanceof Error ? destroyError.message : String(destroyError),
      }),
    );
    throw error instanceof ApiError
      ? error
      : new ApiError("unavailable", "The restore failed; the workspace is unchanged");
  }
  // The swap is done: a platform log that cannot be written must not turn it into an error.
  await noteSecurityEvent(ctx, {
    action: "workspace.restore",
    details: { workspaceId: workspace.id, ...details },
  });
  if (!(await databasesBackupsNeed(ctx)).has(workspace.dbName)) {
    await provisioner.destroy(workspace.dbName).catch((error: unknown) =>
      ctx.logger.warn("replaced database not destroyed; gc will", {
        dbName: workspace.dbName,
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }
  ctx.logger.info("workspace restored", { workspaceId: workspace.id, backupId: backup.id });
  return {
    workspaceId: workspace.id,
    backup: view(backup),
    safetyBackup,
    previousDbName: workspace.dbName,
    dbName,
  };
}

export { runDailyBackups, runScheduledBackups } from "./daily";
