import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  createFunction,
  createFunctionBody,
  deleteFunction,
  FUNCTION_EXAMPLE,
  FUNCTIONS_NEEDS,
  FunctionDefinition,
  functionName,
  Invocation,
  invokeFunction,
  invokeFunctionBody,
  listFunctions,
  secretName,
  updateFunction,
  updateFunctionBody,
} from "../../services/functions";
import { SECRETS_NEEDS } from "../../services/secrets";

const Fn = named(FunctionDefinition, "Function");
const moved = {
  description: "Permanent Redirect to the workspace secrets API",
  headers: { Location: { schema: { type: "string" as const } } },
};
const nameParam = workspaceParam.extend({ name: functionName });
const tags = ["Functions"];

/** User functions and their secrets, under /v1/workspaces/:workspaceId/functions. */
export const functionsRoutes = router()
  // The secrets API moved to /v1/workspaces/:id/secrets (architecture §6); for one release the old
  // paths answer 308, which keeps the method and body (RFC 9110 §15.4.9).
  .openapi(
    operation({
      operationId: "listFunctionSecretsMoved",
      method: "get",
      path: "/secrets",
      tags: ["Secrets"],
      security: securityOf(SECRETS_NEEDS.manage),
      summary: "Moved: GET /v1/workspaces/{workspaceId}/secrets",
      deprecated: true,
      request: { params: workspaceParam },
      responses: { 308: moved },
    }),
    (c) => c.redirect(`/v1/workspaces/${c.req.valid("param").workspaceId}/secrets`, 308),
  )
  .openapi(
    operation({
      operationId: "setFunctionSecretMoved",
      method: "put",
      path: "/secrets/{name}",
      // A redirect changes nothing; the route it points to takes the key.
      idempotency: false,
      tags: ["Secrets"],
      security: securityOf(SECRETS_NEEDS.manage),
      summary: "Moved: PUT /v1/workspaces/{workspaceId}/secrets/{name}",
      deprecated: true,
      request: { params: workspaceParam.extend({ name: secretName }) },
      responses: { 308: moved },
    }),
    (c) => {
      const { workspaceId, name } = c.req.valid("param");
      return c.redirect(`/v1/workspaces/${workspaceId}/secrets/${name}`, 308);
    },
  )
  .openapi(
    operation({
      operationId: "createFunction",
      method: "post",
      path: "/",
      tags,
      security: securityOf(FUNCTIONS_NEEDS.write),
      summary: "Create a function",
      request: {
        params: workspaceParam,
        body: jsonBody(createFunctionBody, true, {
          name: "hello",
          code: FUNCTION_EXAMPLE,
        }),
      },
      responses: { 201: json(z.object({ function: Fn }), "The function") },
      errors: [409, 422],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ function: await createFunction({ ctx: c.var.ctx, input }) }, 201);
    },
  )
  .openapi(
    operation({
      operationId: "listFunctions",
      method: "get",
      path: "/",
      tags,
      security: securityOf(FUNCTIONS_NEEDS.list),
      summary: "List functions",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ functions: z.array(Fn) }), "Functions") },
    }),
    async (c) =>
      c.json({ functions: await listFunctions({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "updateFunction",
      method: "patch",
      path: "/{name}",
      tags,
      security: securityOf(FUNCTIONS_NEEDS.write),
      summary: "Change a function's code, timeout or bound secrets",
      request: { params: nameParam, body: jsonBody(updateFunctionBody) },
      responses: { 200: json(z.object({ function: Fn }), "The function") },
      errors: [422],
    }),
    async (c) => {
      const body = c.req.valid("json");
      const fn = await updateFunction({
        ctx: c.var.ctx,
        input: {
          ...c.req.valid("param"),
          ...(body.code !== undefined ? { code: body.code } : {}),
          ...(body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {}),
          ...(body.env !== undefined ? { env: body.env } : {}),
        },
      });
      return c.json({ function: fn }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "deleteFunction",
      method: "delete",
      path: "/{name}",
      tags,
      security: securityOf(FUNCTIONS_NEEDS.write),
      summary: "Delete a function",
      request: { params: nameParam },
      responses: { 204: noContent("Deleted") },
    }),
    async (c) => {
      await deleteFunction({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  )
  .openapi(
    operation({
      operationId: "invokeFunction",
      method: "post",
      path: "/{name}/invoke",
      tags,
      security: securityOf(FUNCTIONS_NEEDS.run),
      summary: "Run a function in the sandbox",
      request: { params: nameParam, body: jsonBody(invokeFunctionBody, false, { args: { name: "islet" } }) },
      responses: { 200: json(named(Invocation, "Invocation"), "Its result and logs") },
      errors: [422],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), args: c.req.valid("json").args ?? null };
      return c.json(await invokeFunction({ ctx: c.var.ctx, input }), 200);
    },
  );
