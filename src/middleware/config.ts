import { createMiddleware } from "hono/factory";
import { requestConfig } from "../http/context";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";

const reported = new WeakSet<object>();

/** Fail closed (architecture §2): a misconfigured deployment answers 503 `misconfigured` to everything. */
export const requireConfig = createMiddleware<AppEnv>(async (c, next) => {
  const result = requestConfig(c);
  if (!result.ok) {
    if (!reported.has(c.env)) {
      reported.add(c.env);
      c.get("logger").error("refusing to serve: configuration is unsafe or incomplete", {
        problems: result.problems,
      });
    }
    throw new ApiError("misconfigured", "The service is not configured correctly");
  }
  c.set("config", result.config);
  await next();
});
