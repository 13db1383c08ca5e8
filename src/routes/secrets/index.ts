import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  deleteSecret,
  getSecret,
  listSecrets,
  SECRETS_NEEDS,
  SecretMetadata,
  secretName,
  setSecret,
  setSecretBody,
} from "../../services/secrets";

const Secret = named(SecretMetadata, "Secret");
const nameParam = workspaceParam.extend({ name: secretName });
const tags = ["Secrets"];
const security = securityOf(SECRETS_NEEDS.manage);

/** The workspace vault, under /v1/workspaces/:workspaceId/secrets: values are write-only. */
export const secretsRoutes = router()
  .openapi(
    operation({
      operationId: "listSecrets",
      method: "get",
      path: "/",
      tags,
      security,
      summary: "List secrets (kinds, last four characters and fingerprints, never values)",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ secrets: z.array(Secret) }), "Secrets") },
    }),
    async (c) => c.json({ secrets: await listSecrets({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "getSecret",
      method: "get",
      path: "/{name}",
      tags,
      security,
      summary: "A secret's metadata (never its value)",
      request: { params: nameParam },
      responses: { 200: json(z.object({ secret: Secret }), "The secret's metadata") },
    }),
    async (c) => c.json({ secret: await getSecret({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "setSecret",
      method: "put",
      path: "/{name}",
      tags,
      security,
      summary: "Set a secret (stored encrypted; `env` secrets are what functions bind)",
      request: {
        params: nameParam,
        body: jsonBody(setSecretBody, true, { value: "sk_live_example", kind: "env" }),
      },
      responses: { 200: json(z.object({ secret: Secret }), "The secret's metadata") },
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ secret: await setSecret({ ctx: c.var.ctx, input }) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "deleteSecret",
      method: "delete",
      path: "/{name}",
      tags,
      security,
      summary: "Delete a secret",
      request: { params: nameParam },
      responses: { 204: noContent("Deleted") },
    }),
    async (c) => {
      await deleteSecret({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
