import { json, named, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  getWorkspaceTraffic,
  getWorkspaceUsage,
  USAGE_NEEDS,
  usageQuery,
  WorkspaceTraffic,
  WorkspaceUsage,
} from "../../services/usage";

/** GET /v1/workspaces/:workspaceId/usage — this month's requests as the Gatekeeper counted them. */
export const usageRoutes = router()
  .openapi(
    operation({
      operationId: "getUsage",
      method: "get",
      path: "/",
      tags: ["Usage"],
      security: securityOf(USAGE_NEEDS.read),
      summary: "This month's requests: the workspace's and each key's",
      request: { params: workspaceParam, query: usageQuery },
      responses: { 200: json(named(WorkspaceUsage, "WorkspaceUsage"), "Usage") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("query") };
      return c.json(await getWorkspaceUsage({ ctx: c.var.ctx, input }), 200);
    },
  )
  .openapi(
    operation({
      operationId: "getUsageTraffic",
      method: "get",
      path: "/traffic",
      tags: ["Usage"],
      security: securityOf(USAGE_NEEDS.read),
      summary:
        "Requests per minute (last hour) and per day (last 30 days), admitted and refused, against the plan",
      request: { params: workspaceParam },
      responses: { 200: json(named(WorkspaceTraffic, "WorkspaceTraffic"), "The workspace's traffic") },
    }),
    async (c) => c.json(await getWorkspaceTraffic({ ctx: c.var.ctx, input: c.req.valid("param") }), 200),
  );
