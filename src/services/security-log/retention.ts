import { controlDb } from "../../db/control/client";
import { parseConfig } from "../../env";
import { newRequestId } from "../../lib/ids";
import { createLogger } from "../../lib/logger";
import type { ServiceContext } from "../../types";
import { recordSecurityEvent } from "./record";

/** Platform security events are kept 90 days after the account they concern is deleted (DESIGN §9). */
export const SECURITY_LOG_RETENTION_MS = 90 * 86_400_000;

/**
 * Removes security log rows whose retention has run out, and nothing else: a row goes only when
 * its `purge_after` has passed (see migrations/control/0004_audit.sql) and, checked again here
 * against the source of truth, its subject account was deleted at least 90 days before `now`.
 * Rows about live accounts, restored accounts, or no account at all are never touched.
 */
export async function purgeSecurityLog({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { now: number };
}): Promise<{ purged: number }> {
  const deletedBefore = input.now - SECURITY_LOG_RETENTION_MS;
  const result = await controlDb(ctx.config).$client.execute({
    sql: `DELETE FROM security_log
          WHERE purge_after IS NOT NULL AND purge_after <= ?
            AND subject_user_id IN (
              SELECT id FROM users WHERE deleted_at IS NOT NULL AND deleted_at <= ?
            )`,
    args: [input.now, deletedBefore],
  });
  const purged = result.rowsAffected;
  // The purge itself is a security event: a deletion from the log leaves a trace of its size.
  if (purged > 0) {
    await recordSecurityEvent(ctx, { action: "security_log.purge", details: { purged, deletedBefore } });
  }
  return { purged };
}

/** The scheduled handler's work (wrangler `[triggers] crons`): runs the retention purge once. */
export async function runScheduledRetention(env: object, scheduledTime: number): Promise<void> {
  const requestId = newRequestId();
  const logger = createLogger({ requestId, job: "security_log.retention" });
  const parsed = parseConfig(env);
  if (!parsed.ok) {
    logger.error("retention skipped: configuration is unsafe or incomplete", { problems: parsed.problems });
    return;
  }
  const ctx: ServiceContext = {
    env: env as ServiceContext["env"],
    config: parsed.config,
    actor: { type: "system", reason: "retention" },
    requestId,
    ip: null,
    userAgent: null,
    logger,
    waitUntil: (promise) => void promise,
  };
  try {
    const { purged } = await purgeSecurityLog({ ctx, input: { now: scheduledTime } });
    logger.info("security log retention ran", { purged });
  } catch (error) {
    logger.error("security log retention failed", {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}
