import { z } from "@hono/zod-openapi";
import { json, named, operation, router, SECURITY } from "../../http/openapi";
import { OutboxMessage, outboxQuery, readOutbox } from "../../services/mail";

/** Development helpers; 404 in production (and whenever mail really goes out). */
export const devRoutes = router().openapi(
  operation({
    operationId: "readDevOutbox",
    method: "get",
    path: "/outbox",
    tags: ["Development"],
    security: SECURITY.none,
    summary: "Mail the local outbox holds for an address (development only; loopback callers)",
    request: { query: outboxQuery },
    responses: {
      200: json(z.object({ messages: z.array(named(OutboxMessage, "OutboxMessage")) }), "Messages"),
    },
  }),
  async (c) => c.json({ messages: await readOutbox({ ctx: c.var.ctx, input: c.req.valid("query") }) }, 200),
);
