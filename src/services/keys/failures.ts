import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys, workspaces } from "../../db/control/schema";
import { tenantDb } from "../../db/tenant/client";
import type { ServiceContext } from "../../types";
import { recordAudit } from "../audit";

/**
 * A refused attempt with one of a workspace's own keys (wrong secret, revoked, expired) also goes
 * to that workspace's audit log, so its owners see it (`auth.failed`). Callers throttle it as they
 * throttle the platform log: an address's failures until it is limited, then its first refusal.
 * A key id that names no key writes nothing.
 */
export async function recordKeyAuthFailure({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { keyId: string; code: string; path: string };
}): Promise<void> {
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
