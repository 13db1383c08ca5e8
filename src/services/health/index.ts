import { controlDb } from "../../db/control/client";
import type { ServiceArgs } from "../core/context";

export interface HealthReport {
  status: "ok" | "degraded";
  controlDb: "ok" | "error";
}

/** Liveness of the parts a request needs. Says which part failed, never why in detail. */
export async function checkHealth({ ctx }: ServiceArgs): Promise<HealthReport> {
  let control: HealthReport["controlDb"] = "ok";
  try {
    await controlDb(ctx.config).$client.execute("SELECT 1 FROM _islet_migrations LIMIT 1");
  } catch (error) {
    control = "error";
    ctx.logger.warn("health: control database unreachable", {
      error: error instanceof Error ? error.message : "",
    });
  }
  return { status: control === "ok" ? "ok" : "degraded", controlDb: control };
}
