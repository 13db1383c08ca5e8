import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { utf8 } from "./encoding";
import { ApiError } from "./errors";
import { newId } from "./ids";

/** What signing and verifying access tokens needs of the config (src/config.ts's Config has it). */
export interface JwtConfig {
  SESSION_JWT_SECRET: string;
  /**
   * The secret before the last rotation: it still verifies (never signs) tokens issued before the
   * rotation, so sessions survive a planned rotation. Such a token expires within one access-token
   * lifetime of the rotation, after which the previous secret verifies nothing and can be removed.
   * An incident rotation leaves it unset: every token out there stops at once.
   */
  SESSION_JWT_SECRET_PREVIOUS?: string | undefined;
  PUBLIC_URL: string;
}

/** Access tokens live 15 minutes (architecture §3); refresh tokens carry the session further. */
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
const previousKeys = new WeakMap<JwtConfig, Uint8Array>();
const previousKeyOf = (config: JwtConfig) => {
  if (!config.SESSION_JWT_SECRET_PREVIOUS) return undefined;
  let key = previousKeys.get(config);
  if (!key) {
    key = utf8(config.SESSION_JWT_SECRET_PREVIOUS);
    previousKeys.set(config, key);
  }
  return key;
};

export async function verifyAccessToken(config: JwtConfig, token: string): Promise<AccessClaims> {
  const options = {
    algorithms: ["HS256"],
    issuer: config.PUBLIC_URL,
    audience: ACCESS_TOKEN_AUDIENCE,
    requiredClaims: ["sub", "sid", "iat", "exp", "jti"],
  };
  try {
    let payload: Awaited<ReturnType<typeof jwtVerify>>["payload"];
    try {
      ({ payload } = await jwtVerify(token, keyOf(config), options));
    } catch (error) {
      // Only a signature that does not match the current secret falls back to the previous one.
      const previous = previousKeyOf(config);
      if (!previous || !(error instanceof joseErrors.JWSSignatureVerificationFailed)) throw error;
      ({ payload } = await jwtVerify(token, previous, options));
    }
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
