import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys, workspaces } from "../../db/control/schema";
import { tenantDb } from "../../db/tenant/client";
import { MINUTE_MS } from "../../lib/plans";
import { recordAudit } from "../audit";
import type { ServiceArgs } from "../core/context";
import { gate } from "../gatekeeper";

/** Failed attempts with one key written to its workspace's audit log per minute, at most. */
export const KEY_FAILURES_AUDITED_PER_MINUTE = 5;

/**
 * A refused attempt with one of a workspace's own keys (wrong secret, revoked, expired) also goes
 * to that workspace's audit log, so its owners see it (`auth.failed`). Callers throttle it as they
 * throttle the platform log: an address's failures until it is limited, then its first refusal.
 * A key id that names no key writes nothing.
 */
export async function recordKeyAuthFailure({
  ctx,
  input,
}: ServiceArgs<{ keyId: string; code: string; path: string }>): Promise<void> {
  // Per key too, not only per address: many addresses guessing one key id write a few rows a
  // minute to its workspace's log, not one per attempt.
  const verdict = await gate(ctx.env, `keyfail:${input.keyId}`, {
    rules: [{ id: "key-failed-audit", limit: KEY_FAILURES_AUDITED_PER_MINUTE, windowMs: MINUTE_MS }],
  });
  if (!verdict.allowed) return;
  const [found] = await controlDb(ctx.config)
    .select({ workspace: workspaces })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .where(eq(apiKeys.id, input.keyId));
  if (found?.workspace.status !== "active") return;
  await recordAudit(ctx, await tenantDb(ctx.config, found.workspace), {
    action: "auth.failed",
    targetType: "api_key",
    targetId: input.keyId,
    details: { code: input.code, path: input.path },
  });
}
