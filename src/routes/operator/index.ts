import { z } from "@hono/zod-openapi";
import { gatekeeper } from "../../middleware/gatekeeper";
import { operatorAuthenticate } from "../../middleware/operator";
import {
  BreakGlassRead,
  operatorWorkspaceParam,
  readRowsBody,
  readTenantRows,
  setPlanBody,
  setWorkspacePlan,
} from "../../services/operator";
import { Workspace } from "../../services/workspaces";
import { json, jsonBody, named, operation, router, SECURITY } from "../openapi";

const tags = ["Operator"];
const security = SECURITY.operator;

/**
 * Operator (break-glass) routes under /v1/operator. Mounted ahead of the app's bearer
 * authentication (src/app.ts): only `Authorization: Operator <token>` is accepted here. The
 * gatekeeper runs first, limiting attempts per IP.
 */
export const operatorRoutes = router();
operatorRoutes.use("*", gatekeeper, operatorAuthenticate);
operatorRoutes
  .openapi(
    operation({
      method: "post",
      path: "/workspaces/{workspaceId}/rows/read",
      tags,
      security,
      summary: "Break-glass read of a tenant's rows: reason required, owners alerted, audited",
      request: { params: operatorWorkspaceParam, body: jsonBody(readRowsBody) },
      responses: { 200: json(named(BreakGlassRead, "BreakGlassRead"), "The rows read") },
      errors: [502],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      c.header("Cache-Control", "no-store");
      return c.json(await readTenantRows({ ctx: c.var.ctx, input }), 200);
    },
  )
  .openapi(
    operation({
      method: "put",
      path: "/workspaces/{workspaceId}/plan",
      tags,
      security,
      summary: "Change a workspace's plan (operators only; audited in the workspace)",
      request: { params: operatorWorkspaceParam, body: jsonBody(setPlanBody) },
      responses: { 200: json(z.object({ workspace: Workspace }), "The workspace") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ workspace: await setWorkspacePlan({ ctx: c.var.ctx, input }) }, 200);
    },
  );
