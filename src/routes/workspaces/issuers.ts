import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  createIssuer,
  createIssuerBody,
  deleteIssuer,
  ISSUERS_NEEDS,
  Issuer as IssuerSchema,
  issuerId,
  listIssuers,
} from "../../services/issuers";

const Issuer = named(IssuerSchema, "Issuer");
const tags = ["Issuers"];
const security = securityOf(ISSUERS_NEEDS.manage);

/** Workspace-registered end-user token issuers (architecture §3), under /v1/workspaces/:workspaceId/issuers. */
export const issuersRoutes = router()
  .openapi(
    operation({
      operationId: "createIssuer",
      method: "post",
      path: "/",
      tags,
      security,
      summary: "Register an end-user token issuer (HS256 secret or JWKS URL)",
      request: { params: workspaceParam, body: jsonBody(createIssuerBody) },
      responses: { 201: json(z.object({ issuer: Issuer }), "The issuer (its secret is never returned)") },
      errors: [402, 409],
    }),
    async (c) => {
      const input = { ...c.req.valid("json"), ...c.req.valid("param") };
      return c.json({ issuer: await createIssuer({ ctx: c.var.ctx, input }) }, 201);
    },
  )
  .openapi(
    operation({
      operationId: "listIssuers",
      method: "get",
      path: "/",
      tags,
      security,
      summary: "List issuers",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ issuers: z.array(Issuer) }), "Issuers") },
    }),
    async (c) => c.json({ issuers: await listIssuers({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "deleteIssuer",
      method: "delete",
      path: "/{issuerId}",
      tags,
      security,
      summary: "Remove an issuer: its tokens stop at once",
      request: { params: workspaceParam.extend({ issuerId }) },
      responses: { 204: noContent("Removed") },
    }),
    async (c) => {
      await deleteIssuer({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
