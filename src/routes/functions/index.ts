import { Hono } from "hono";
import { z } from "zod";
import { validate } from "../../lib/validate";
import {
  createFunction,
  deleteFunction,
  invokeFunction,
  listFunctions,
  listSecrets,
  setSecret,
  updateFunction,
} from "../../services/functions";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "../workspaces/param";

/** Function names are names, not SQL identifiers: `add` or `select` are fine. */
const functionName = z
  .string()
  .regex(
    /^[a-z][a-z0-9_-]{0,62}$/,
    "must be lowercase letters, digits, _ and -, starting with a letter (max 63)",
  );
const secretName = z.string().regex(/^[A-Z][A-Z0-9_]{0,62}$/, "must be UPPER_SNAKE_CASE");
const createBody = z.strictObject({
  name: functionName,
  code: z.string().min(1).max(100_000),
  timeoutMs: z.number().int().min(1).max(1000).default(1000),
  env: z.array(secretName).max(50).default([]),
});
const updateBody = z
  .strictObject({
    code: createBody.shape.code.optional(),
    timeoutMs: z.number().int().min(1).max(1000).optional(),
    env: z.array(secretName).max(50).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, "nothing to change: give code, timeoutMs or env");
const nameParam = z.object({ name: functionName });
const secretParam = z.object({ name: secretName });
const secretBody = z.strictObject({ value: z.string().min(1).max(10_000) });
const invokeBody = z.strictObject({ args: z.unknown().optional() }).optional();

/** User functions and their secrets, under /v1/workspaces/:workspaceId/functions. */
export const functionsRoutes = new Hono<AppEnv>()
  .get("/secrets", async (c) =>
    c.json({
      secrets: await listSecrets({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } }),
    }),
  )
  .put("/secrets/:name", validate("param", secretParam), validate("json", secretBody), async (c) => {
    const secret = await setSecret({
      ctx: c.var.ctx,
      input: {
        workspaceId: workspaceIdOf(c),
        name: c.req.valid("param").name,
        value: c.req.valid("json").value,
      },
    });
    return c.json({ secret });
  })
  .post("/", validate("json", createBody), async (c) => {
    const fn = await createFunction({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), ...c.req.valid("json") },
    });
    return c.json({ function: fn }, 201);
  })
  .get("/", async (c) =>
    c.json({
      functions: await listFunctions({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } }),
    }),
  )
  .patch("/:name", validate("param", nameParam), validate("json", updateBody), async (c) => {
    const body = c.req.valid("json");
    const fn = await updateFunction({
      ctx: c.var.ctx,
      input: {
        workspaceId: workspaceIdOf(c),
        name: c.req.valid("param").name,
        ...(body.code !== undefined ? { code: body.code } : {}),
        ...(body.timeoutMs !== undefined ? { timeoutMs: body.timeoutMs } : {}),
        ...(body.env !== undefined ? { env: body.env } : {}),
      },
    });
    return c.json({ function: fn });
  })
  .delete("/:name", validate("param", nameParam), async (c) => {
    await deleteFunction({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), name: c.req.valid("param").name },
    });
    return c.body(null, 204);
  })
  .post("/:name/invoke", validate("param", nameParam), validate("json", invokeBody), async (c) => {
    const result = await invokeFunction({
      ctx: c.var.ctx,
      input: {
        workspaceId: workspaceIdOf(c),
        name: c.req.valid("param").name,
        args: c.req.valid("json")?.args ?? null,
      },
    });
    return c.json(result);
  });
