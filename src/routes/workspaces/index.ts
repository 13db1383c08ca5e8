import { z } from "@hono/zod-openapi";
import {
  json,
  jsonBody,
  named,
  noContent,
  operation,
  router,
  SECURITY,
  securityOf,
} from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import { confirmationQuery } from "../../services/core/schemas";
import {
  createWorkspace,
  createWorkspaceBody,
  deleteWorkspace,
  deleteWorkspaceBody,
  getWorkspace,
  idempotencyKey,
  listWorkspaces,
  renameWorkspace,
  renameWorkspaceBody,
  transferWorkspace,
  transferWorkspaceBody,
  WORKSPACES_NEEDS,
  Workspace as WorkspaceSchema,
} from "../../services/workspaces";
import { issuersRoutes } from "./issuers";

const Workspace = named(WorkspaceSchema, "Workspace");
const one = z.object({ workspace: Workspace });
const tags = ["Workspaces"];

export const workspacesRoutes = router()
  .openapi(
    operation({
      operationId: "createWorkspace",
      method: "post",
      path: "/",
      // Creation keys itself: the key reaches provisioning, which makes at most one database for it.
      idempotency: false,
      tags,
      security: SECURITY.user,
      summary: "Create a workspace (its database is provisioned before this answers)",
      request: {
        headers: z.object({ "idempotency-key": idempotencyKey.optional() }),
        body: jsonBody(createWorkspaceBody, true, { name: "My app", region: "eu-west" }),
      },
      responses: {
        201: json(one, "The new workspace"),
        200: json(one, "Replayed: the workspace this Idempotency-Key already created"),
      },
      errors: [402, 409],
    }),
    async (c) => {
      const { workspace, created } = await createWorkspace({
        ctx: c.var.ctx,
        input: { ...c.req.valid("json"), idempotencyKey: c.req.valid("header")["idempotency-key"] },
      });
      if (!created) {
        c.header("Idempotent-Replayed", "true");
        return c.json({ workspace }, 200);
      }
      return c.json({ workspace }, 201);
    },
  )
  .openapi(
    operation({
      operationId: "listWorkspaces",
      method: "get",
      path: "/",
      tags,
      security: SECURITY.workspace,
      summary: "List the caller's workspaces",
      responses: { 200: json(z.object({ workspaces: z.array(Workspace) }), "Workspaces") },
    }),
    async (c) => c.json({ workspaces: await listWorkspaces({ ctx: c.var.ctx }) }, 200),
  )
  .openapi(
    operation({
      operationId: "getWorkspace",
      method: "get",
      path: "/{workspaceId}",
      tags,
      security: securityOf(WORKSPACES_NEEDS.read),
      summary: "Get a workspace",
      request: { params: workspaceParam },
      responses: { 200: json(one, "The workspace") },
    }),
    async (c) =>
      c.json({ workspace: await getWorkspace({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "renameWorkspace",
      method: "patch",
      path: "/{workspaceId}",
      tags,
      security: securityOf(WORKSPACES_NEEDS.rename),
      summary: "Rename a workspace",
      request: { params: workspaceParam, body: jsonBody(renameWorkspaceBody) },
      responses: { 200: json(one, "The workspace") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ workspace: await renameWorkspace({ ctx: c.var.ctx, input }) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "transferWorkspace",
      method: "post",
      path: "/{workspaceId}/transfer",
      tags,
      security: securityOf(WORKSPACES_NEEDS.own),
      summary: "Transfer ownership to another member (owner only)",
      request: { params: workspaceParam, body: jsonBody(transferWorkspaceBody) },
      responses: { 200: json(one, "The workspace") },
      errors: [409],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ workspace: await transferWorkspace({ ctx: c.var.ctx, input }) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "deleteWorkspace",
      method: "delete",
      path: "/{workspaceId}",
      // The workspace's database goes with it: the record lives in the control database.
      idempotency: { store: "control" },
      tags,
      security: securityOf(WORKSPACES_NEEDS.own),
      summary: "Delete a workspace and its database (confirm names its slug)",
      request: {
        params: workspaceParam,
        query: confirmationQuery,
        body: jsonBody(deleteWorkspaceBody, false),
      },
      responses: { 204: noContent("Deleted") },
      errors: [409],
    }),
    async (c) => {
      // `confirm` may come in the body or, for clients that drop DELETE bodies, the query string.
      const confirm = c.req.valid("json").confirm ?? c.req.valid("query").confirm;
      await deleteWorkspace({ ctx: c.var.ctx, input: { ...c.req.valid("param"), confirm } });
      return c.body(null, 204);
    },
  )
  .route("/:workspaceId/issuers", issuersRoutes);
