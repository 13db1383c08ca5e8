import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { createMiddleware } from "hono/factory";
import { userActor } from "../http/actor";
import { ACCESS_COOKIE } from "../http/cookies";
import type { AppEnv } from "../http/env";
import { ApiError } from "../lib/errors";
import { verifyAccessToken } from "../lib/jwt";
import { unverifiedIssuer, verifyEndUserToken, workspaceIdFromPath } from "../services/issuers/verify";
import { keyActor, parseApiKey, verifyApiKey } from "../services/keys/credential";
import { noteKeyUsed } from "../services/keys/last-used";
import { assertUnderFailureLimit, verifying } from "./auth-failure";

/** Background work after the response; without an execution context (unit use) it just runs. */
function waitUntil(c: Context<AppEnv>, promise: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(promise);
  } catch {
    void promise;
  }
}

/**
 * Resolves the one actor of a request. `Authorization: Bearer` carries an access JWT or an
 * `isk_` API key; browsers use the access cookie. A presented credential that fails is a 401 —
 * never a silent downgrade to anonymous. JWTs are verified before any database call.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  // A socket ticket (middleware/socket.ts) has already named the actor.
  if (c.get("authVia") === "ticket") return next();
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
  const apiKey = parseApiKey(token);
  if (apiKey) {
    await assertUnderFailureLimit(c);
    const keyId = apiKey.namedId;
    const key = await verifying(c, { via: "api_key", keyId }, () => verifyApiKey(config, token));
    c.set("apiKey", key);
    c.set("actor", keyActor(key));
    noteKeyUsed(config, key, (p) => waitUntil(c, p), c.get("logger"));
  } else {
    const issuer = await verifying(c, { via: "jwt" }, async () => unverifiedIssuer(token));
    if (issuer !== undefined && issuer !== config.PUBLIC_URL) {
      // A workspace-registered issuer (architecture §3): valid only for the workspace it addresses.
      await assertUnderFailureLimit(c);
      const path = workspaceIdFromPath(c.req.path);
      c.set(
        "actor",
        await verifying(c, { via: "end_user" }, () => verifyEndUserToken(config, token, issuer, path)),
      );
      return next();
    }
    const claims = await verifying(c, { via: "jwt" }, () => verifyAccessToken(config, token));
    c.set("actor", userActor(claims));
  }
  return next();
});
