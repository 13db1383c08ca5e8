import type { Context } from "hono";
import { parseConfig } from "../config";
import { SandboxBudget, type ServiceContext } from "../services/core/context";
import type { AppEnv } from "./env";

/**
 * The deployment's configuration as this request's bindings give it, checked (fail closed: a
 * list of problems instead of a config). middleware/config.ts puts it on `c.var.config`.
 */
export const requestConfig = (c: Context<AppEnv>) => parseConfig(c.env);

/**
 * The request's service context, read live from the Hono context: authentication, the workspace
 * loader and the gatekeeper fill in `actor` and `workspace` after this is first built.
 */
export function requestServiceContext(c: Context<AppEnv>): ServiceContext {
  return {
    get sandboxBudget() {
      let budget = c.get("sandboxBudget");
      if (!budget) {
        budget = new SandboxBudget();
        c.set("sandboxBudget", budget);
      }
      return budget;
    },
    env: c.env,
    get config() {
      return c.get("config");
    },
    get actor() {
      return c.get("actor") ?? { type: "anonymous" };
    },
    get requestId() {
      return c.get("requestId");
    },
    ip: c.req.header("CF-Connecting-IP") ?? null,
    userAgent: c.req.header("User-Agent")?.slice(0, 512) ?? null,
    get logger() {
      return c.get("logger");
    },
    get workspace() {
      return c.get("workspace");
    },
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
