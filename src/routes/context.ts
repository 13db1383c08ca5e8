import type { Context } from "hono";
import { SandboxBudget } from "../sandbox/budget";
import type { AppEnv, ServiceContext } from "../types";

/** Builds what services receive from a request: identity, config, logging, background work. */
export function serviceContext(c: Context<AppEnv>): ServiceContext {
  let sandboxBudget = c.get("sandboxBudget");
  if (!sandboxBudget) {
    sandboxBudget = new SandboxBudget();
    c.set("sandboxBudget", sandboxBudget);
  }
  return {
    sandboxBudget,
    env: c.env,
    config: c.get("config"),
    actor: c.get("actor"),
    requestId: c.get("requestId"),
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 512) ?? null,
    logger: c.get("logger"),
    workspace: c.get("workspace"),
    waitUntil: (promise) => {
      try {
        c.executionCtx.waitUntil(promise);
      } catch {
        // No execution context (unit use): let the promise run on its own.
        void promise;
      }
    },
  };
}
