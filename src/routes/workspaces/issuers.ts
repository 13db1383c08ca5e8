import { Hono } from "hono";
import { z } from "zod";
import { tableAllowlist } from "../../lib/grants";
import { validate } from "../../lib/validate";
import { createIssuer, deleteIssuer, listIssuers } from "../../services/issuers";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "./param";

const createBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  kind: z.enum(["hs256", "jwks"]),
  // RFC 7518 §3.2: an HS256 key is at least 256 bits.
  secret: z.string().min(32).max(512).optional(),
  jwksUrl: z.string().max(2048).optional(),
  audience: z.string().min(1).max(512),
  issuer: z.string().min(1).max(512),
  roleClaim: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*){0,4}$/)
    .optional(),
  // End users are viewers unless the issuer's mapping (roleClaim) or its default says otherwise.
  defaultRole: z.enum(["member", "viewer"]).default("viewer"),
  tables: tableAllowlist,
});
const issuerParam = z.object({ issuerId: z.string().regex(/^iss_[0-9a-z]{26}$/) });

/** Workspace-registered end-user token issuers (DESIGN §3), under /v1/workspaces/:workspaceId/issuers. */
export const issuersRoutes = new Hono<AppEnv>()
  .post("/", validate("json", createBody), async (c) => {
    const issuer = await createIssuer({
      ctx: c.var.ctx,
      input: { ...c.req.valid("json"), workspaceId: workspaceIdOf(c) },
    });
    return c.json({ issuer }, 201);
  })
  .get("/", async (c) => {
    const issuers = await listIssuers({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } });
    return c.json({ issuers });
  })
  .delete("/:issuerId", validate("param", issuerParam), async (c) => {
    await deleteIssuer({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), issuerId: c.req.valid("param").issuerId },
    });
    return c.body(null, 204);
  });
