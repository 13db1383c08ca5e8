import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";
import { newRequestId } from "../lib/ids";

/** Every request gets a fresh id, echoed as `X-Request-Id` and carried by logs, errors and audit. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = newRequestId();
  c.set("requestId", id);
  c.set("actor", { type: "anonymous" });
  await next();
  c.header("X-Request-Id", id);
});
