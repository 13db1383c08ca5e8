import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { utf8 } from "./encoding";
import { ApiError } from "./errors";
import { newId } from "./ids";

/** What signing and verifying access tokens needs of the config (src/env.ts's Config has it). */
export interface JwtConfig {
  SESSION_JWT_SECRET: string;
  PUBLIC_URL: string;
}

/** Access tokens live 15 minutes (DESIGN §3); refresh tokens carry the session further. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const ACCESS_TOKEN_AUDIENCE = "islet:api";

export interface AccessClaims {
  sub: string;
  sid: string;
  iat: number;
  exp: number;
  jti: string;
}

const keys = new WeakMap<JwtConfig, Uint8Array>();
const keyOf = (config: JwtConfig) => {
  let key = keys.get(config);
  if (!key) {
    key = utf8(config.SESSION_JWT_SECRET);
    keys.set(config, key);
  }
  return key;
};

export async function signAccessToken(config: JwtConfig, userId: string, sessionId: string): Promise<string> {
  return new SignJWT({ sid: sessionId })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(userId)
    .setIssuer(config.PUBLIC_URL)
    .setAudience(ACCESS_TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
    .setJti(newId("jti"))
    .sign(keyOf(config));
}

/**
 * Verifies an access token before any database call: algorithm pinned to HS256 (no `none`, no
 * RS/HS confusion), signature, `exp`/`nbf`, `iss`, `aud`, and the claims islet needs.
 */
export async function verifyAccessToken(config: JwtConfig, token: string): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, keyOf(config), {
      algorithms: ["HS256"],
      issuer: config.PUBLIC_URL,
      audience: ACCESS_TOKEN_AUDIENCE,
      requiredClaims: ["sub", "sid", "iat", "exp", "jti"],
    });
    if (typeof payload.sid !== "string" || typeof payload.sub !== "string") {
      throw new ApiError("invalid_token", "Access token is malformed");
    }
    return payload as unknown as AccessClaims;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    if (error instanceof joseErrors.JWTExpired)
      throw new ApiError("token_expired", "Access token has expired");
    throw new ApiError("invalid_token", "Access token is invalid");
  }
}
