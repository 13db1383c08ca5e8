import { tenantDb } from "../../db/tenant/client";
import { recordAudit } from "../audit";
import type { ServiceArgs } from "../core/context";
import { recordSecurityEvent } from "../security-log/record";

export interface RateLimitRefusal {
  principal: string;
  rule: string | undefined;
  limit: number | undefined;
  retryAfter: number | undefined;
}

/**
 * Writes a `ratelimit.exceeded` event: a key's goes to its own workspace's audit log, any other
 * principal's to the platform security log. The gatekeeper calls it for the first refusal of a
 * window only, so a flood leaves one event, not thousands.
 */
export async function recordRateLimited({ ctx, input }: ServiceArgs<RateLimitRefusal>): Promise<void> {
  const { workspace, actor } = ctx;
  if (actor.type === "apiKey" && workspace?.id === actor.workspaceId && workspace.status === "active") {
    await recordAudit(ctx, await tenantDb(ctx.config, workspace), {
      action: "ratelimit.exceeded",
      targetType: "api_key",
      targetId: actor.keyId,
      details: { ...input },
    });
  } else {
    await recordSecurityEvent(ctx, {
      action: "ratelimit.exceeded",
      ...(actor.type === "user" ? { subjectUserId: actor.userId } : {}),
      details: { ...input },
    });
  }
}
