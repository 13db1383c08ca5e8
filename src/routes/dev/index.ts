import { Hono } from "hono";
import { z } from "zod";
import { validate } from "../../lib/validate";
import { readOutbox } from "../../services/mail";
import type { AppEnv } from "../../types";

const outboxQuery = z.object({
  to: z.email().max(254),
  since: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

/** Development helpers; 404 in production (and whenever mail really goes out). */
export const devRoutes = new Hono<AppEnv>().get("/outbox", validate("query", outboxQuery), async (c) =>
  c.json({ messages: await readOutbox({ ctx: c.var.ctx, input: c.req.valid("query") }) }),
);
