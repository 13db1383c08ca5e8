import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../http/env";

/**
 * `Cache-Control: no-store` on every API answer unless a route chose otherwise: they are made for
 * one credential, and many carry tokens (signup, login, refresh, password change, OIDC callback,
 * invitations, new keys) that no browser or shared cache may keep (RFC 9111 §5.2.2.5).
 */
export const noStore = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  if (!c.res.headers.has("Cache-Control")) c.header("Cache-Control", "no-store");
});
