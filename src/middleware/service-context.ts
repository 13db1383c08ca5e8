import { createMiddleware } from "hono/factory";
import { requestServiceContext } from "../http/context";
import type { AppEnv } from "../http/env";

/** Puts the request's service context on `c.var.ctx`: transports hand it to services as it is. */
export const serviceContext = createMiddleware<AppEnv>(async (c, next) => {
  c.set("ctx", requestServiceContext(c));
  await next();
});
