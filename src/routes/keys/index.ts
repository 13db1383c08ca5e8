import { Hono } from "hono";
import { z } from "zod";
import { tableAllowlist } from "../../lib/grants";
import { SCOPE_NAMES, type Scope } from "../../lib/scopes";
import { validate } from "../../lib/validate";
import {
  createKey,
  getKey,
  listKeys,
  MAX_ROTATION_GRACE_SECONDS,
  revokeKey,
  rotateKey,
} from "../../services/keys";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "../workspaces/param";

const createBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  scopes: z
    .array(z.enum(SCOPE_NAMES as [Scope, ...Scope[]]))
    .min(1)
    .max(SCOPE_NAMES.length),
  tables: tableAllowlist,
  perMinute: z.number().int().min(1).max(1_000_000).nullable().optional(),
  monthlyCap: z.number().int().min(1).max(10_000_000_000).nullable().optional(),
  /** Epoch milliseconds. */
  expiresAt: z.number().int().positive().nullable().optional(),
});
const rotateBody = z
  .strictObject({ graceSeconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).optional() })
  .optional();
const keyParam = z.object({ keyId: z.string().regex(/^[0-9a-z]{20,40}$/) });

/** API keys of a workspace (DESIGN §3), under /v1/workspaces/:workspaceId/keys. */
export const keysRoutes = new Hono<AppEnv>()
  .post("/", validate("json", createBody), async (c) => {
    const body = c.req.valid("json");
    const created = await createKey({
      ctx: c.var.ctx,
      input: { ...body, workspaceId: workspaceIdOf(c) },
    });
    c.header("Cache-Control", "no-store");
    return c.json(created, 201);
  })
  .get("/", async (c) =>
    c.json({ keys: await listKeys({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } }) }),
  )
  .get("/:keyId", validate("param", keyParam), async (c) => {
    const input = { workspaceId: workspaceIdOf(c), keyId: c.req.valid("param").keyId };
    return c.json({ key: await getKey({ ctx: c.var.ctx, input }) });
  })
  .delete("/:keyId", validate("param", keyParam), async (c) => {
    const input = { workspaceId: workspaceIdOf(c), keyId: c.req.valid("param").keyId };
    return c.json({ key: await revokeKey({ ctx: c.var.ctx, input }) });
  })
  .post("/:keyId/rotate", validate("param", keyParam), validate("json", rotateBody), async (c) => {
    const input = {
      workspaceId: workspaceIdOf(c),
      keyId: c.req.valid("param").keyId,
      graceSeconds: c.req.valid("json")?.graceSeconds,
    };
    const rotated = await rotateKey({ ctx: c.var.ctx, input });
    c.header("Cache-Control", "no-store");
    return c.json(rotated, 201);
  });
