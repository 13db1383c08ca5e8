// The daily backup job (architecture §10, issue 31), resumable and bounded per run: one cycle a day
// backs up every active workspace, a bounded batch per scheduled run in workspace-id order, the
// cursor kept in the control database (`job_cursors`). The daily trigger starts a cycle; every
// trigger (the 5-minute one included) continues the cycle under way, so a fleet of 10,000 tenants is covered over successive runs
// (at 200 a run, within about four hours) instead of one run that times out and starts again.
import { and, asc, eq, gt } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { jobCursors, workspaces } from "../../db/control/schema";
import { mapPool } from "../../lib/pool";
import { jobContext, type ServiceContext } from "../core/context";
import { recordBackup, sweepOrphanBackups } from "./index";

/** Workspaces backed up per scheduled run. */
export const DAILY_BACKUPS_PER_RUN = 200;
const HOUR_MS = 3_600_000;
/**
 * A new cycle starts on the daily trigger (so it does not drift through the day), at most once an
 * hour; if the daily trigger was missed, the first run more than 25 hours after the last start.
 */
const MIN_CYCLE_GAP_MS = HOUR_MS;
const MISSED_DAILY_MS = 25 * HOUR_MS;
const DAILY_JOB = "backups.daily";

export interface DailyBackupRun {
  /** Workspaces backed up in this run, in the order taken. */
  workspaceIds: string[];
  failed: number;
  /** Whether this run finished the day's cycle (the next starts a day after this one began). */
  cycleDone: boolean;
  /** False when today's cycle was already complete: nothing was due. */
  due: boolean;
}

/**
 * One run of the daily backups: the next `perRun` active workspaces after the cursor. One
 * workspace failing does not stop the rest (each failure is logged); the cursor moves past the
 * batch only once it is done, so a run cut off midway is repeated, not skipped.
 */
export async function runDailyBackups(
  ctx: ServiceContext,
  opts: { now?: number; perRun?: number; job?: string; daily?: boolean } = {},
): Promise<DailyBackupRun> {
  const now = opts.now ?? Date.now();
  const perRun = opts.perRun ?? DAILY_BACKUPS_PER_RUN;
  const job = opts.job ?? DAILY_JOB;
  const db = controlDb(ctx.config);
  const [state] = await db.select().from(jobCursors).where(eq(jobCursors.job, job));
  const idle = !state || state.cursor === null;
  const last = state?.cycleStartedAt ?? null;
  if (idle && last !== null && now - last < (opts.daily ? MIN_CYCLE_GAP_MS : MISSED_DAILY_MS))
    return { workspaceIds: [], failed: 0, cycleDone: true, due: false };
  const cycleStartedAt = idle ? now : state.cycleStartedAt;
  const after = idle ? null : state.cursor;
  const batch = await db
    .select({ id: workspaces.id, dbName: workspaces.dbName })
    .from(workspaces)
    .where(
      after === null
        ? eq(workspaces.status, "active")
        : and(eq(workspaces.status, "active"), gt(workspaces.id, after)),
    )
    .orderBy(asc(workspaces.id))
    .limit(perRun);
  let failed = 0;
  const taken: string[] = [];
  await mapPool(batch, 4, async (row) => {
    try {
      await recordBackup(ctx, row, "daily");
      taken.push(row.id);
    } catch (error) {
      failed++;
      ctx.logger.error("daily backup failed", {
        workspaceId: row.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
  const cycleDone = batch.length < perRun;
  const cursor = cycleDone ? null : (batch.at(-1)?.id ?? null);
  await db
    .insert(jobCursors)
    .values({ job, cursor, cycleStartedAt, updatedAt: Date.now() })
    .onConflictDoUpdate({ target: jobCursors.job, set: { cursor, cycleStartedAt, updatedAt: Date.now() } });
  return { workspaceIds: taken, failed, cycleDone, due: true };
}

/** Every trigger continues the day's backups; the daily one also sweeps deleted workspaces' backups. */
export async function runScheduledBackups(env: object, opts: { now: number; daily: boolean }): Promise<void> {
  const ctx = jobContext(env, "tenants.backup");
  if (!ctx) return;
  try {
    const run = await runDailyBackups(ctx, { now: opts.now, daily: opts.daily });
    const swept = opts.daily ? await sweepOrphanBackups(ctx) : 0;
    if (run.due || swept > 0)
      ctx.logger.info("daily backups", {
        taken: run.workspaceIds.length,
        failed: run.failed,
        cycleDone: run.cycleDone,
        swept,
      });
  } catch (error) {
    ctx.logger.error("daily backups failed", {
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
