import { z } from "@hono/zod-openapi";
import { operation, router, securityOf, streamingOperation } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import { exportWorkspace, WORKSPACE_ARCHIVE_NEEDS } from "../../services/lifecycle";

const route = operation({
  operationId: "exportWorkspace",
  method: "get",
  path: "/",
  tags: ["Workspaces"],
  security: securityOf(WORKSPACE_ARCHIVE_NEEDS.export),
  summary:
    "Export the workspace as an NDJSON archive, streamed: tables with their rows, functions, webhooks, issuers, secret names (never values); admins, audited",
  request: { params: workspaceParam },
  responses: {
    200: {
      description:
        "Line 1 `{type: islet-workspace-export, version: 1, workspace, exportedAt}`; then `table`, `row`, `function`, `webhook`, `issuer`, `secret` lines; last `{type: end, …counts}`",
      content: { "application/x-ndjson": { schema: z.string() } },
    },
  },
});

/**
 * `GET /v1/workspaces/:workspaceId/export` (src/services/lifecycle/workspace-export.ts). Described
 * in /openapi.json like every route, but registered as a plain handler: the router's typing wants
 * a string body for a text media type, and this body is a stream. The verb parses its own input.
 */
export const workspaceExportRoutes = router();
streamingOperation(workspaceExportRoutes, route, async (c) => {
  const exported = await exportWorkspace({
    ctx: c.var.ctx,
    input: { workspaceId: c.req.param("workspaceId") ?? "" },
  });
  return c.body(exported.body, 200, {
    "Content-Type": "application/x-ndjson",
    "Content-Disposition": `attachment; filename="${exported.filename}"`,
    "Cache-Control": "no-store",
  });
});
