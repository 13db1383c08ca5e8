import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import { shownOnce } from "../../services/core/schemas";
import {
  CreatedKey as CreatedKeySchema,
  createKey,
  createKeyBody,
  getKey,
  KEYS_NEEDS,
  KeyView,
  keyId,
  listKeys,
  revokeKey,
  rotateKey,
  rotateKeyBody,
} from "../../services/keys";

const Key = named(KeyView, "Key");
const CreatedKey = named(
  CreatedKeySchema.extend({ key: Key, token: shownOnce("The key's token") }),
  "CreatedKey",
);
const keyParam = workspaceParam.extend({ keyId });
const tags = ["Keys"];
const security = securityOf(KEYS_NEEDS.manage);

/** API keys of a workspace (architecture §3), under /v1/workspaces/:workspaceId/keys. */
export const keysRoutes = router()
  .openapi(
    operation({
      operationId: "createKey",
      method: "post",
      path: "/",
      idempotency: { shownOnce: ["token"] },
      tags,
      security,
      summary: "Create an API key (its token is shown once)",
      request: {
        params: workspaceParam,
        body: jsonBody(createKeyBody, true, { name: "my agent", scopes: ["data:read", "data:write"] }),
      },
      responses: { 201: json(CreatedKey, "The key and its one-time token") },
      errors: [402],
    }),
    async (c) => {
      const created = await createKey({
        ctx: c.var.ctx,
        input: { ...c.req.valid("json"), ...c.req.valid("param") },
      });
      c.header("Cache-Control", "no-store");
      return c.json(created, 201);
    },
  )
  .openapi(
    operation({
      operationId: "listKeys",
      method: "get",
      path: "/",
      tags,
      security,
      summary: "List the workspace's API keys",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ keys: z.array(Key) }), "Keys, newest first") },
    }),
    async (c) => c.json({ keys: await listKeys({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "getKey",
      method: "get",
      path: "/{keyId}",
      tags,
      security,
      summary: "Get an API key",
      request: { params: keyParam },
      responses: { 200: json(z.object({ key: Key }), "The key") },
    }),
    async (c) => c.json({ key: await getKey({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "revokeKey",
      method: "delete",
      path: "/{keyId}",
      tags,
      security,
      summary: "Revoke an API key (and every key it minted)",
      request: { params: keyParam },
      responses: { 200: json(z.object({ key: Key }), "The revoked key") },
    }),
    async (c) => c.json({ key: await revokeKey({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "rotateKey",
      method: "post",
      path: "/{keyId}/rotate",
      idempotency: { shownOnce: ["token"] },
      tags,
      security,
      summary: "Rotate an API key: a new token now, the old one stops after graceSeconds",
      request: { params: keyParam, body: jsonBody(rotateKeyBody, false, { graceSeconds: 3600 }) },
      responses: { 201: json(CreatedKey, "The replacement key and its one-time token") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      const rotated = await rotateKey({ ctx: c.var.ctx, input });
      c.header("Cache-Control", "no-store");
      return c.json(rotated, 201);
    },
  );
