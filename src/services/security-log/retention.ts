import { controlDb } from "../../db/control/client";
import { CONTROL_TABLE, expireStatement } from "../../db/idempotency";
import { jobContext, type ServiceArgs } from "../core/context";
import { recordSecurityEvent } from "./record";

/** Platform security events are kept 90 days after the account they concern is deleted (architecture §9). */
export const SECURITY_LOG_RETENTION_MS = 90 * 86_400_000;

/**
 * Events about nobody in particular (refused credentials, floods): these alone expire 90 days
 * after they were written. Operator access, plan changes and revocations logged here for want of
 * a tenant log are kept.
 */
const ANONYMOUS_ACTIONS = ["auth.failed", "auth.login_failed", "ratelimit.exceeded", "operator.auth_failed"];

/**
 * Removes security log rows whose retention has run out, and nothing else: a row goes only when
 * its `purge_after` has passed (see migrations/control/0004_audit.sql) and, checked again here
 * against the source of truth, its subject account was deleted at least 90 days before `now`.
 * Rows about live or restored accounts are never touched; rows about no account at all go 90
 * days after they were written.
 */
export async function purgeSecurityLog({
  ctx,
  input,
}: ServiceArgs<{ now: number }>): Promise<{ purged: number }> {
  const deletedBefore = input.now - SECURITY_LOG_RETENTION_MS;
  const result = await controlDb(ctx.config).$client.execute({
    sql: `DELETE FROM security_log
          WHERE purge_after IS NOT NULL AND purge_after <= ?
            AND subject_user_id IN (
              SELECT id FROM users WHERE deleted_at IS NOT NULL AND deleted_at <= ?
            )`,
    args: [input.now, deletedBefore],
  });
  // Events about no account (failed logins for unknown addresses, refused keys, floods) have a
  // fixed 90-day life: with nobody to delete, they would otherwise be kept forever.
  const userless = await controlDb(ctx.config).$client.execute({
    sql: `DELETE FROM security_log WHERE subject_user_id IS NULL AND ts <= ?
          AND action IN (${ANONYMOUS_ACTIONS.map(() => "?").join(", ")})`,
    args: [deletedBefore, ...ANONYMOUS_ACTIONS],
  });
  const purged = result.rowsAffected + userless.rowsAffected;
  // The purge itself is a security event: a deletion from the log leaves a trace of its size.
  if (purged > 0) {
    await recordSecurityEvent(ctx, { action: "security_log.purge", details: { purged, deletedBefore } });
  }
  return { purged };
}

/**
 * Short-lived sign-in state that outlived its use: OIDC states past their expiry, and pending
 * invitations whose inviter is no longer a member of the workspace (their authority ended).
 */
export async function purgeExpiredAuthState({ ctx, input }: ServiceArgs<{ now: number }>): Promise<{
  oidcStates: number;
  invitations: number;
  idempotencyRecords: number;
}> {
  const db = controlDb(ctx.config).$client;
  const states = await db.execute({
    sql: "DELETE FROM oidc_states WHERE expires_at <= ?",
    args: [input.now],
  });
  // Idempotency records of control-only routes past their 24 h (tenant ones go with each keyed write).
  const records = await db.execute(expireStatement(CONTROL_TABLE, input.now));
  const orphaned = await db.execute({
    sql: `UPDATE invitations SET revoked_at = ?
          WHERE accepted_at IS NULL AND revoked_at IS NULL AND expires_at > ?
            AND NOT EXISTS (SELECT 1 FROM memberships m
                            WHERE m.workspace_id = invitations.workspace_id AND m.user_id = invitations.invited_by
                              AND m.role IN ('owner', 'admin'))`,
    args: [input.now, input.now],
  });
  return {
    oidcStates: states.rowsAffected,
    invitations: orphaned.rowsAffected,
    idempotencyRecords: records.rowsAffected,
  };
}

/** The scheduled handler's work (wrangler `[triggers] crons`): runs the retention purge once. */
export async function runScheduledRetention(env: object, scheduledTime: number): Promise<void> {
  const ctx = jobContext(env, "security_log.retention");
  if (!ctx) return;
  const logger = ctx.logger;
  try {
    const { purged } = await purgeSecurityLog({ ctx, input: { now: scheduledTime } });
    const expired = await purgeExpiredAuthState({ ctx, input: { now: scheduledTime } });
    logger.info("security log retention ran", { purged, ...expired });
  } catch (error) {
    logger.error("security log retention failed", {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
}
