import { and, asc, eq, gt } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys } from "../../db/control/schema";
import { PLANS } from "../../lib/plans";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { monthlyUsage } from "../gatekeeper";
import { workspaceStorage } from "../storage";
import { USAGE_NEEDS, USAGE_PAGE_DEFAULT, USAGE_PAGE_MAX, usageInput, type WorkspaceUsage } from "./schemas";

export * from "./schemas";

/**
 * Monthly usage as the Gatekeeper counts it (architecture §4): each key's own Durable Object holds its
 * month's count durably, so this reads them rather than a second counter that could disagree.
 */
export async function getWorkspaceUsage({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; cursor?: string; limit?: number }>): Promise<WorkspaceUsage> {
  const input = parseInput(usageInput, raw);
  // Bounded: one Gatekeeper call per key of one page (≤ 100), plus one for the workspace.
  const limit = Math.min(Math.max(1, input.limit ?? USAGE_PAGE_DEFAULT), USAGE_PAGE_MAX);
  const access = await authorizeWorkspace(ctx, input.workspaceId, USAGE_NEEDS.read);
  const { workspace } = access;
  const keys = await controlDb(ctx.config)
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      monthlyCap: apiKeys.monthlyCap,
      revokedAt: apiKeys.revokedAt,
    })
    .from(apiKeys)
    .where(
      and(eq(apiKeys.workspaceId, workspace.id), input.cursor ? gt(apiKeys.id, input.cursor) : undefined),
    )
    .orderBy(asc(apiKeys.id))
    .limit(limit + 1);
  const page = keys.slice(0, limit);
  const [storage, whole, ...counts] = await Promise.all([
    workspaceStorage(ctx, workspace, await access.db()),
    monthlyUsage(ctx.env, `ws:${workspace.id}`),
    ...page.map((k) => monthlyUsage(ctx.env, `key:${k.id}`)),
  ]);
  const plan = PLANS[workspace.plan];
  const month = whole?.month ?? new Date().toISOString().slice(0, 7);
  const rows = page.map((k, i) => ({
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
    workspaceUsed: whole?.month === month ? whole.used : 0,
    keys: rows,
    keysTotal: rows.reduce((sum, r) => sum + r.used, 0),
    nextCursor: keys.length > limit ? (page.at(-1)?.id ?? null) : null,
    storage: { ...storage, storageBytes: plan.storageBytes, maxRows: plan.maxRows },
  };
}
export { getWorkspaceTraffic } from "./traffic";
