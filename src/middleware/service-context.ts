import { createMiddleware } from "hono/factory";
import { requestServiceContext } from "../services/context";
import type { AppEnv } from "../types";

/** Puts the request's service context on `c.var.ctx`: transports hand it to services as it is. */
export const serviceContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set("ctx", requestServiceContext(c));
  await next();
});
