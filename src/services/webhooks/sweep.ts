// The scheduled webhook sweep (architecture §8): the safety net under the dispatcher's fast path. Each
// run visits the workspaces with endpoints (longest unvisited first, a bounded number per run),
// dispatches events a cut-off Worker left in the outbox, re-sends deliveries that stayed pending
// with no queue message due (a send that threw, a message the queue gave up on), gives up on
// deliveries older than the retry schedule, and — in the daily run — purges the delivery log past
// its retention (issue 31: payloads and answers are not kept forever).
import type { Client } from "@libsql/client/web";
import { and, asc, eq, lt } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { webhookWorkspaces, workspaces } from "../../db/control/schema";
import { tenantDb } from "../../db/tenant/client";
import { mapPool } from "../../lib/pool";
import { jobContext, type ServiceContext } from "../core/context";
import { dispatchOutbox, sendDeliveries } from "./outbox";

/** A pending delivery this long past its due attempt has no message coming: the sweep sends it. */
export const SWEEP_GRACE_MS = 5 * 60_000;
/** The retry schedule spans ~28 h; a delivery still pending after 3 days is failed. */
export const ABANDON_AFTER_MS = 3 * 86_400_000;
/** The delivery log keeps settled deliveries (payload and answer excerpt) this long by default. */
export const DELIVERY_LOG_RETENTION_MS = 30 * 86_400_000;
/** Workspaces visited per run; the rest, the longest unvisited first, the next run. */
export const SWEEP_WORKSPACES_PER_RUN = 200;
/** Deliveries re-sent per workspace per run; a larger backlog drains over the next runs. */
const RESEND_PER_VISIT = 500;
/** Log rows purged per workspace per run (one statement stays short). */
const PURGE_PER_VISIT = 5_000;

export interface SweepOptions {
  /** The run's clock (the cron's scheduled time). */
  now: number;
  /** The daily run also purges the delivery log past `retentionMs`. */
  purge?: boolean;
  retentionMs?: number;
}

export interface SweepResult {
  visited: number;
  dispatched: number;
  resent: number;
  abandoned: number;
  purged: number;
  failed: number;
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function resendStale(ctx: ServiceContext, workspaceId: string, db: Client, now: number) {
  const abandoned = await db.execute({
    sql: `UPDATE _islet_webhook_deliveries SET status = 'failed', next_attempt_at = NULL, updated_at = ?,
          response_excerpt = COALESCE(response_excerpt, '') || ' (not delivered within 3 days)'
          WHERE status = 'pending' AND created_at < ?`,
    args: [now, now - ABANDON_AFTER_MS],
  });
  // Oldest event first, so a receiver gets a backlog in the order it was written.
  const stale = await db.execute({
    sql: `SELECT id FROM _islet_webhook_deliveries
          WHERE status = 'pending' AND COALESCE(next_attempt_at, updated_at) < ?
          ORDER BY COALESCE(event_seq, 0), created_at LIMIT ?`,
    args: [now - SWEEP_GRACE_MS, RESEND_PER_VISIT],
  });
  const ids = stale.rows.map((r) => String(r.id));
  if (ids.length > 0) {
    // Due again from now: if this send fails too, the next run past the grace period retries it.
    await db.execute({
      sql: `UPDATE _islet_webhook_deliveries SET next_attempt_at = ? WHERE id IN (${ids.map(() => "?").join(", ")})`,
      args: [now, ...ids],
    });
    await sendDeliveries(ctx, workspaceId, ids);
  }
  return { resent: ids.length, abandoned: abandoned.rowsAffected };
}

/** Settled deliveries older than the retention: their payloads (row copies) and answers go. */
export async function purgeDeliveryLog(db: Client, before: number): Promise<number> {
  const purged = await db.execute({
    sql: `DELETE FROM _islet_webhook_deliveries WHERE id IN (
            SELECT id FROM _islet_webhook_deliveries WHERE created_at < ? AND status != 'pending' LIMIT ?)`,
    args: [before, PURGE_PER_VISIT],
  });
  return purged.rowsAffected;
}

async function visit(ctx: ServiceContext, workspaceId: string, opts: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const result: SweepResult = { visited: 1, dispatched: 0, resent: 0, abandoned: 0, purged: 0, failed: 0 };
  const control = controlDb(ctx.config);
  const done = (sweptAt: number) =>
    control.update(webhookWorkspaces).set({ sweptAt }).where(eq(webhookWorkspaces.workspaceId, workspaceId));
  const [workspace] = await control.select().from(workspaces).where(eq(workspaces.id, workspaceId));
  if (!workspace) {
    // Deleted: its database, delivery log included, went with it.
    await control.delete(webhookWorkspaces).where(eq(webhookWorkspaces.workspaceId, workspaceId));
    return result;
  }
  if (workspace.status !== "active") {
    await done(started);
    return result;
  }
  const db = await tenantDb(ctx.config, workspace);
  result.dispatched = await dispatchOutbox(ctx, workspace, db);
  Object.assign(result, await resendStale(ctx, workspace.id, db, opts.now));
  if (opts.purge)
    result.purged = await purgeDeliveryLog(db, opts.now - (opts.retentionMs ?? DELIVERY_LOG_RETENTION_MS));
  const left = await db.execute(
    `SELECT (SELECT count(*) FROM _islet_webhooks) AS endpoints,
            (SELECT count(*) FROM _islet_webhook_deliveries WHERE status = 'pending') AS pending,
            (SELECT count(*) FROM _islet_webhook_outbox) AS events`,
  );
  const counts = left.rows[0];
  if (counts && Number(counts.endpoints) + Number(counts.pending) + Number(counts.events) === 0) {
    // Nothing left to sweep; an endpoint made since this visit began registered again, and stays.
    await control
      .delete(webhookWorkspaces)
      .where(
        and(eq(webhookWorkspaces.workspaceId, workspaceId), lt(webhookWorkspaces.registeredAt, started)),
      );
  } else await done(Date.now());
  return result;
}

/** One run of the sweep over at most SWEEP_WORKSPACES_PER_RUN workspaces. */
export async function sweepWebhooks(ctx: ServiceContext, opts: SweepOptions): Promise<SweepResult> {
  // Never visited first (SQLite sorts NULL first ascending), then the longest unvisited.
  const due = await controlDb(ctx.config)
    .select({ workspaceId: webhookWorkspaces.workspaceId })
    .from(webhookWorkspaces)
    .orderBy(asc(webhookWorkspaces.sweptAt))
    .limit(SWEEP_WORKSPACES_PER_RUN);
  const total: SweepResult = { visited: 0, dispatched: 0, resent: 0, abandoned: 0, purged: 0, failed: 0 };
  const results = await mapPool(due, 4, (entry) =>
    visit(ctx, entry.workspaceId, opts).catch((error: unknown) => {
      ctx.logger.error("webhook sweep of a workspace failed", {
        workspaceId: entry.workspaceId,
        error: errorText(error),
      });
      return { visited: 1, dispatched: 0, resent: 0, abandoned: 0, purged: 0, failed: 1 };
    }),
  );
  for (const r of results)
    for (const key of Object.keys(total) as (keyof SweepResult)[]) total[key] += r[key];
  return total;
}

export async function runScheduledWebhookSweep(env: object, scheduledTime: number, daily: boolean) {
  const ctx = jobContext(env, "webhooks.sweep");
  if (!ctx) return;
  try {
    ctx.logger.info("webhook sweep", { ...(await sweepWebhooks(ctx, { now: scheduledTime, purge: daily })) });
  } catch (error) {
    ctx.logger.error("webhook sweep failed", { error: errorText(error) });
  }
}
