import { and, asc, eq, gt } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys } from "../../db/control/schema";
import { PLANS } from "../../lib/plans";
import { authorizeWorkspace } from "../access";
import type { ServiceArgs } from "../context";
import { monthlyUsage } from "../gatekeeper";

export interface WorkspaceUsage {
  month: string;
  plan: string;
  /** The plan's monthly request quota, per principal. */
  monthlyQuota: number;
  perMinute: number;
  /** Requests this month by the whole workspace (every member, key and end user). */
  workspaceUsed: number;
  /** Requests this month by each API key on this page (keys are confined to the workspace). */
  keys: { keyId: string; name: string; used: number; monthlyCap: number | null; revoked: boolean }[];
  /** The sum over `keys` (this page). */
  keysTotal: number;
  /** Pass as `cursor` for the next page of keys; null on the last page. */
  nextCursor: string | null;
}

export const USAGE_PAGE_DEFAULT = 50;
export const USAGE_PAGE_MAX = 100;

/**
 * Monthly usage as the Gatekeeper counts it (DESIGN §4): each key's own Durable Object holds its
 * month's count durably, so this reads them rather than a second counter that could disagree.
 */
export async function getWorkspaceUsage({
  ctx,
  input,
}: ServiceArgs<{ workspaceId: string; cursor?: string; limit?: number }>): Promise<WorkspaceUsage> {
  // Bounded: one Gatekeeper call per key of one page (≤ 100), plus one for the workspace.
  const limit = Math.min(Math.max(1, input.limit ?? USAGE_PAGE_DEFAULT), USAGE_PAGE_MAX);
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
    .where(
      and(eq(apiKeys.workspaceId, workspace.id), input.cursor ? gt(apiKeys.id, input.cursor) : undefined),
    )
    .orderBy(asc(apiKeys.id))
    .limit(limit + 1);
  const page = keys.slice(0, limit);
  const [whole, ...counts] = await Promise.all([
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
  };
}
