import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys } from "../../db/control/schema";
import { PLANS } from "../../lib/plans";
import type { ServiceContext } from "../../types";
import { authorizeWorkspace } from "../access";
import { monthlyUsage } from "../gatekeeper";

export interface WorkspaceUsage {
  month: string;
  plan: string;
  /** The plan's monthly request quota, per principal. */
  monthlyQuota: number;
  perMinute: number;
  /** Requests this month by each of the workspace's API keys (keys are confined to it). */
  keys: { keyId: string; name: string; used: number; monthlyCap: number | null; revoked: boolean }[];
  keysTotal: number;
}

/**
 * Monthly usage as the Gatekeeper counts it (DESIGN §4): each key's own Durable Object holds its
 * month's count durably, so this reads them rather than a second counter that could disagree.
 */
export async function getWorkspaceUsage({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string };
}): Promise<WorkspaceUsage> {
  const { workspace } = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "admin",
    scope: "keys:manage",
  });
  const keys = await controlDb(ctx.config)
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      monthlyCap: apiKeys.monthlyCap,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(eq(apiKeys.workspaceId, workspace.id));
  const counts = await Promise.all(keys.map((k) => monthlyUsage(ctx.env, `key:${k.id}`)));
  const plan = PLANS[workspace.plan];
  const month = counts[0]?.month ?? new Date().toISOString().slice(0, 7);
  const rows = keys.map((k, i) => ({
    keyId: k.id,
    name: k.name,
    used: counts[i]?.month === month ? (counts[i]?.used ?? 0) : 0,
    monthlyCap: k.monthlyCap,
    revoked: k.revokedAt !== null,
  }));
  return {
    month,
    plan: workspace.plan,
    monthlyQuota: plan.monthlyRequests,
    perMinute: plan.perMinute,
    keys: rows,
    keysTotal: rows.reduce((sum, r) => sum + r.used, 0),
  };
}
