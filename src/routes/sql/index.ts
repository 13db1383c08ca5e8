import { Hono } from "hono";
import { z } from "zod";
import { validate } from "../../lib/validate";
import { executeSql } from "../../services/sql";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "../workspaces/param";

const body = z.strictObject({
  sql: z.string().min(1).max(100_000),
  args: z
    .array(z.union([z.string(), z.number(), z.boolean(), z.null()]))
    .max(1000)
    .default([]),
  write: z.boolean().default(false),
});

/** POST /v1/workspaces/:workspaceId/sql — admin SQL, read-only unless `write: true`, audited. */
export const sqlRoutes = new Hono<AppEnv>().post("/", validate("json", body), async (c) => {
  const input = c.req.valid("json");
  return c.json(await executeSql({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c), ...input } }));
});
