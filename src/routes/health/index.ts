import { Hono } from "hono";
import { checkHealth } from "../../services/health";
import type { AppEnv } from "../../types";

export const healthRoutes = new Hono<AppEnv>().get("/", async (c) => {
  const report = await checkHealth({ ctx: c.var.ctx });
  return c.json(report, report.status === "ok" ? 200 : 503);
});
