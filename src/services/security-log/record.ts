import { controlDb } from "../../db/control/client";
import { securityLog } from "../../db/control/schema";
import { newId } from "../../lib/ids";
import { redact } from "../../lib/logger";
import type { ServiceContext } from "../core/context";
import { actorId, assertAction } from "../core/events";

/** A platform event with no tenant log to hold it (architecture §9). */
export interface SecurityEvent {
  /** `entity.verb`, e.g. `auth.login_failed`, `operator.data_access`, `account.delete`. */
  action: string;
  /** The account the event concerns; its deletion starts the 90-day retention clock. */
  subjectUserId?: string;
  /** Never secret values or tokens; credential-looking fields are redacted regardless. */
  details?: Record<string, unknown>;
}

export type SecurityLogRow = typeof securityLog.$inferInsert;

/**
 * The control `security_log` row for an event. `purgeAfter` is left NULL: the database derives
 * it from the subject's `users.deleted_at` (migrations/control/0004_audit.sql), so a writer can
 * never shorten or lengthen retention.
 */
export function securityEventRow(ctx: ServiceContext, event: SecurityEvent, ts = Date.now()): SecurityLogRow {
  assertAction(event.action);
  return {
    id: newId("sec"),
    ts,
    action: event.action,
    actorType: ctx.actor.type,
    actorId: actorId(ctx.actor),
    subjectUserId: event.subjectUserId ?? null,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    requestId: ctx.requestId,
    details: JSON.stringify(redact(event.details ?? {})),
    purgeAfter: null,
  };
}

/**
 * Writes one event to the platform security log: failed logins for unknown emails, signup abuse,
 * operator actions, account deletions. Throws if it cannot be written; for events that must not
 * fail the request they describe, use `noteSecurityEvent`.
 */
export async function recordSecurityEvent(ctx: ServiceContext, event: SecurityEvent): Promise<void> {
  await controlDb(ctx.config).insert(securityLog).values(securityEventRow(ctx, event));
}

/**
 * The one best-effort writer: never rejects. A failed login still answers 401 if the log is
 * down; the failure to log is itself logged (with the action, never the event's details).
 */
export async function noteSecurityEvent(ctx: ServiceContext, event: SecurityEvent): Promise<void> {
  try {
    await recordSecurityEvent(ctx, event);
  } catch (error) {
    ctx.logger.error("security log write failed", {
      action: event.action,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
