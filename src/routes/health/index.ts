import { z } from "@hono/zod-openapi";
import { checkHealth } from "../../services/health";
import { ErrorEnvelope, json, operation, router, SECURITY } from "../openapi";

const HealthReport = z
  .object({ status: z.enum(["ok", "degraded"]), controlDb: z.enum(["ok", "error"]) })
  .openapi("HealthReport");

export const healthRoutes = router().openapi(
  operation({
    method: "get",
    path: "/",
    tags: ["Health"],
    security: SECURITY.none,
    summary: "Liveness of the parts a request needs",
    responses: {
      200: json(HealthReport, "Healthy"),
      503: json(z.union([HealthReport, ErrorEnvelope]), "Degraded, or misconfigured"),
    },
  }),
  async (c) => {
    const report = await checkHealth({ ctx: c.var.ctx });
    return report.status === "ok" ? c.json(report, 200) : c.json(report, 503);
  },
);
