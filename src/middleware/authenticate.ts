import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { ApiError } from "../lib/errors";
import { verifyAccessToken } from "../lib/jwt";
import { looksLikeApiKey, verifyApiKey } from "../services/keys/credential";
import type { AppEnv } from "../types";

/** Browser sessions carry the access token in this cookie (`__Host-`: Secure, Path=/, no Domain). */
export const ACCESS_COOKIE = "__Host-islet_access";

/**
 * Resolves the one actor of a request. `Authorization: Bearer` carries an access JWT or an
 * `isk_` API key; browsers use the access cookie. A presented credential that fails is a 401 —
 * never a silent downgrade to anonymous. JWTs are verified before any database call.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("Authorization");
  let token: string | undefined;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S{1,4096})$/i.exec(header);
    if (!match) throw new ApiError("unauthorized", "Authorization header must be `Bearer <token>`");
    token = match[1];
    c.set("authVia", "bearer");
  } else {
    token = getCookie(c, ACCESS_COOKIE);
    if (token) c.set("authVia", "cookie");
  }
  if (!token) return next();

  const config = c.get("config");
  if (looksLikeApiKey(token)) {
    const key = await verifyApiKey(config, token);
    c.set("apiKey", key);
    c.set("actor", {
      type: "apiKey",
      keyId: key.keyId,
      workspaceId: key.workspaceId,
      scopes: key.scopes,
      tables: key.tables,
      createdBy: key.createdBy,
    });
  } else {
    const claims = await verifyAccessToken(config, token);
    c.set("actor", { type: "user", userId: claims.sub, sessionId: claims.sid, issuedAt: claims.iat * 1000 });
  }
  return next();
});
