import { and, eq, lt } from "drizzle-orm";
import { z } from "zod";
import { controlDb } from "../../db/control/client";
import { workspaces } from "../../db/control/schema";
import { provisionerFor } from "../../provision";
import { databasesBackupsNeed } from "../backups";
import { jobContext, parseInput, type ServiceArgs } from "../core/context";
import { destroyWorkspace } from "../workspaces/destroy";
import { requireOperator } from "./credential";

/** A provisioning older than this was abandoned (its request failed and compensation too). */
export const ABANDONED_PROVISIONING_MS = 15 * 60_000;
/**
 * The names islet gives tenant databases (`ws_…` ids, dashed; `-r<time>` after a restore):
 * nothing else is ever collected.
 */
const TENANT_DB = /^ws-[0-9a-z]{26}(-r[0-9a-z]{1,12})?$/;

const gcInput = z.object({ dryRun: z.boolean().optional(), now: z.number().int().positive().optional() });

export interface GcReport {
  abandoned: {
    workspaceId: string;
    dbName: string;
    outcome: "destroyed" | "failed" | "would destroy";
    error?: string;
  }[];
  orphans: { dbName: string; outcome: "destroyed" | "failed" | "would destroy"; error?: string }[];
}

/**
 * `islet tenants gc` and the daily job (architecture §10): finishes what failed compensation left.
 * Workspaces stuck `provisioning` for over 15 minutes are destroyed (database, if any, and rows);
 * tenant databases that no workspace row (and no backup) names are destroyed. Each is reported; one failure does
 * not stop the rest. A database is an orphan only if it is listed *and* no row names it, read
 * after the listing, so a provisioning under way (its row is written before its database) is
 * never taken.
 */
export async function collectGarbage({
  ctx,
  input: raw,
}: ServiceArgs<{ dryRun?: boolean; now?: number }>): Promise<GcReport> {
  // Operators, or the platform's own daily job.
  if (ctx.actor.type !== "system") requireOperator(ctx);
  const input = parseInput(gcInput, raw);
  const now = input.now ?? Date.now();
  const db = controlDb(ctx.config);
  const provisioner = provisionerFor(ctx.config);
  const report: GcReport = { abandoned: [], orphans: [] };
  const failure = (error: unknown) => (error instanceof Error ? error.message : String(error));

  const stale = await db
    .select()
    .from(workspaces)
    .where(
      and(eq(workspaces.status, "provisioning"), lt(workspaces.updatedAt, now - ABANDONED_PROVISIONING_MS)),
    );
  for (const row of stale) {
    if (input.dryRun) {
      report.abandoned.push({ workspaceId: row.id, dbName: row.dbName, outcome: "would destroy" });
      continue;
    }
    try {
      await destroyWorkspace(ctx, row, { reason: "gc: abandoned provisioning" });
      report.abandoned.push({ workspaceId: row.id, dbName: row.dbName, outcome: "destroyed" });
    } catch (error) {
      report.abandoned.push({
        workspaceId: row.id,
        dbName: row.dbName,
        outcome: "failed",
        error: failure(error),
      });
    }
  }

  const listed = (await provisioner.list()).filter((name) => TENANT_DB.test(name));
  // Named by a workspace, or still needed by a point-in-time backup (a restore's old database).
  const named = new Set([
    ...(await db.select({ dbName: workspaces.dbName }).from(workspaces)).map((r) => r.dbName),
    ...(await databasesBackupsNeed(ctx)),
  ]);
  // A restore's new database exists before the swap names it: one made in the last 15 minutes
  // (its name carries the time) may be a restore under way, and is left for a later run.
  const restoring = (name: string) => {
    const made = /-r([0-9a-z]{1,12})$/.exec(name)?.[1];
    return made !== undefined && now - Number.parseInt(made, 36) < ABANDONED_PROVISIONING_MS;
  };
  for (const dbName of listed.filter((name) => !named.has(name) && !restoring(name))) {
    if (input.dryRun) {
      report.orphans.push({ dbName, outcome: "would destroy" });
      continue;
    }
    try {
      await provisioner.destroy(dbName);
      report.orphans.push({ dbName, outcome: "destroyed" });
    } catch (error) {
      report.orphans.push({ dbName, outcome: "failed", error: failure(error) });
    }
  }
  if (report.abandoned.length + report.orphans.length > 0) {
    ctx.logger.info("tenant garbage collected", {
      abandoned: report.abandoned.length,
      orphans: report.orphans.length,
      dryRun: input.dryRun === true,
    });
  }
  return report;
}

/** The daily job's share: the same collection, as the platform itself. */
export async function runScheduledGc(env: object): Promise<void> {
  const ctx = jobContext(env, "tenants.gc");
  if (!ctx) return;
  try {
    await collectGarbage({ ctx, input: {} });
  } catch (error) {
    ctx.logger.error("tenant gc failed", { error: error instanceof Error ? error.message : String(error) });
  }
}
