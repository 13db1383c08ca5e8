import { PLANS, workspaceRules } from "../../lib/plans";
import { authorizeWorkspace } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { workspaceScoped } from "../core/schemas";
import { gateStats } from "../gatekeeper";
import { USAGE_NEEDS, type WorkspaceTraffic } from "./schemas";

/**
 * The workspace's traffic as its own Gatekeeper (`ws:<id>`, the aggregate over every member, key
 * and end user) holds it: the sliding minute and the month against the plan's limits, and the
 * last hour per minute and the last 30 days per day, admitted and refused (429). A read: the
 * Gatekeeper's `stats` charges nothing and decides nothing.
 */
export async function getWorkspaceTraffic({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<WorkspaceTraffic> {
  const input = parseInput(workspaceScoped, raw);
  const { workspace } = await authorizeWorkspace(ctx, input.workspaceId, USAGE_NEEDS.read);
  const plan = PLANS[workspace.plan];
  const rules = workspaceRules(workspace.plan);
  const stats = await gateStats(ctx.env, `ws:${workspace.id}`, rules);
  const [minuteRule, monthRule] = [rules[0], rules[1]];
  const use = (id: string | undefined) => stats.windows.find((w) => w.id === id)?.used ?? 0;
  const refused = (buckets: { refused: number }[]) => buckets.reduce((sum, b) => sum + b.refused, 0);
  return {
    at: stats.at,
    plan: workspace.plan,
    perMinute: { used: use(minuteRule?.id), limit: plan.workspacePerMinute, perPrincipal: plan.perMinute },
    month: { used: use(monthRule?.id), limit: plan.monthlyRequests },
    minutes: stats.minutes,
    days: stats.days,
    refusedLastHour: refused(stats.minutes),
    refusedLast30Days: refused(stats.days),
  };
}
