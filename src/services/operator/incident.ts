import { isNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { securityLog, sessions } from "../../db/control/schema";
import { randomBytes } from "../../lib/crypto";
import { bytesToBase64, bytesToBase64Url } from "../../lib/encoding";
import type { ServiceArgs } from "../core/context";
import { securityEventRow } from "../security-log";
import { requireOperator } from "./credential";

export interface IncidentPlan {
  /** The keyring with a fresh version made active; every old version kept readable. */
  keyring: { active: number; keys: Record<string, string> };
  /** A fresh session secret, set without a previous one: every access token stops at once. */
  sessionSecret: string;
  liveSessions: number;
}

/**
 * The secrets an incident rotation sets (architecture §6): a new keyring version and a new session
 * secret, both fresh random values. Nothing changes until the operator has set them on the Worker
 * and confirmed; then `revokeEverySession` and `rotateKeyring` finish the job.
 */
export async function planIncidentRotation({ ctx }: ServiceArgs): Promise<IncidentPlan> {
  requireOperator(ctx);
  const current = ctx.config.ISLET_KEYRING;
  const next = Math.max(...Object.keys(current.keys).map(Number)) + 1;
  const live = await controlDb(ctx.config).$count(sessions, isNull(sessions.revokedAt));
  return {
    keyring: { active: next, keys: { ...current.keys, [String(next)]: bytesToBase64(randomBytes(32)) } },
    sessionSecret: bytesToBase64Url(randomBytes(48)),
    liveSessions: live,
  };
}

/**
 * Revokes every live session (no refresh token works again), with one platform security event.
 * Access tokens already out stop with the session secret the incident replaces.
 */
export async function revokeEverySession({ ctx, input }: ServiceArgs<{ reason: string }>): Promise<number> {
  requireOperator(ctx);
  const db = controlDb(ctx.config);
  const now = Date.now();
  const [revoked] = await db.batch([
    db
      .update(sessions)
      .set({ revokedAt: now })
      .where(isNull(sessions.revokedAt))
      .returning({ id: sessions.id }),
    db.insert(securityLog).values(
      securityEventRow(ctx, {
        action: "incident.sessions_revoked",
        details: { reason: input.reason.slice(0, 500) },
      }),
    ),
  ]);
  return revoked.length;
}
