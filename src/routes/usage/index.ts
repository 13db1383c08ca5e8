import { Hono } from "hono";
import { z } from "zod";
import { validate } from "../../lib/validate";
import { getWorkspaceUsage, USAGE_PAGE_MAX } from "../../services/usage";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "../workspaces/param";

/** GET /v1/workspaces/:workspaceId/usage — this month's requests as the Gatekeeper counted them. */
const usageQuery = z.object({
  cursor: z
    .string()
    .regex(/^[0-9a-z]{20,40}$/, "must be a key id from nextCursor")
    .optional(),
  limit: z.coerce.number().int().min(1).max(USAGE_PAGE_MAX).optional(),
});

export const usageRoutes = new Hono<AppEnv>().get("/", validate("query", usageQuery), async (c) =>
  c.json(
    await getWorkspaceUsage({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), ...c.req.valid("query") },
    }),
  ),
);
