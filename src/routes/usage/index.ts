import { json, named, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import { getWorkspaceUsage, USAGE_NEEDS, usageQuery, WorkspaceUsage } from "../../services/usage";

/** GET /v1/workspaces/:workspaceId/usage — this month's requests as the Gatekeeper counted them. */
export const usageRoutes = router().openapi(
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
);
