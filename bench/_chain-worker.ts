// Bench-only Worker entry: the real app (every middleware, authorization, tenantDb) and, beside
// it, a bare Hono handler doing the same one-row tenant read with no middleware at all.
import { Hono } from "hono";
import { buildApp } from "../src/app";
import type { Bindings } from "../src/config";
import { libsqlClient } from "../src/db/libsql";
import { authorizeWorkspace } from "../src/services/core/access";

export { Gatekeeper } from "../durable-objects/gatekeeper";

const READ = "SELECT value FROM _islet_meta WHERE key = 'workspace_id'";

const full = buildApp();
full.get("/v1/workspaces/:workspaceId/bench-row", async (c) => {
  const access = await authorizeWorkspace(c.var.ctx, c.req.param("workspaceId"), {
    role: "viewer",
    scope: "data:read",
  });
  const result = await (await access.db()).execute(READ);
  return c.json({ value: result.rows[0]?.value });
});

const bare = new Hono<{ Bindings: Bindings & { BENCH_DB_URL?: string; BENCH_DB_TOKEN?: string } }>().get(
  "/bare-row",
  async (c) => {
    const db = libsqlClient(String(c.env.BENCH_DB_URL), String(c.env.BENCH_DB_TOKEN));
    const result = await db.execute(READ);
    return c.json({ value: result.rows[0]?.value });
  },
);

export default {
  fetch: (request: Request, env: Bindings, ctx: ExecutionContext) =>
    new URL(request.url).pathname === "/bare-row"
      ? bare.fetch(request, env, ctx)
      : full.fetch(request, env, ctx),
};
