import { and, eq } from "drizzle-orm";
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  type JWTPayload,
  type JWTVerifyGetKey,
  errors as joseErrors,
  jwtVerify,
} from "jose";
import type { Config } from "../../config";
import { controlDb } from "../../db/control/client";
import {
  END_USER_ROLES,
  type EndUserRole,
  type IssuerRow,
  issuers,
  memberships,
} from "../../db/control/schema";
import { decryptSecret, importKeyring } from "../../lib/crypto";
import { utf8 } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { guardedFetch, outboundPolicy } from "../../lib/outbound";
import { roleAtLeast } from "../../lib/scopes";
import type { Actor } from "../core/actor";
import { issuerSecretBinding } from "./manage";

type EndUserActor = Extract<Actor, { type: "endUser" }>;

/** Asymmetric algorithms a JWKS issuer may use; `none` and HMAC are never accepted from a JWKS. */
const JWKS_ALGORITHMS = ["RS256", "PS256", "ES256", "ES384", "EdDSA"];

/** The `iss` of a JWT, read without verifying it — only to choose which key verifies it. */
export function unverifiedIssuer(token: string): string | undefined {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === "string" ? iss : undefined;
  } catch {
    throw new ApiError("invalid_token", "Token is invalid");
  }
}

// Remote key sets per JWKS URL, per isolate: jose caches keys and refetches on unknown `kid`.
const keySets = new Map<string, JWTVerifyGetKey>();

function keySetFor(config: Config, url: string): JWTVerifyGetKey {
  let set = keySets.get(url);
  if (!set) {
    if (keySets.size >= 256) keySets.clear();
    const policy = outboundPolicy(config);
    set = createRemoteJWKSet(new URL(url), {
      timeoutDuration: 5_000,
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
      // Every key-set fetch through the outbound guard: the name re-resolved and checked, redirects
      // checked, 64 KiB at most (a JWKS is a few keys).
      [customFetch]: (target, options) =>
        guardedFetch(target, { headers: options.headers, timeoutMs: 5_000, maxBytes: 64 * 1024 }, policy),
    });
    keySets.set(url, set);
  }
  return set;
}

/** Reads a claim by dotted path (`app_metadata.role`); only member/viewer are meaningful. */
function roleFrom(payload: JWTPayload, claim: string, fallback: EndUserRole): EndUserRole {
  let value: unknown = payload;
  for (const part of claim.split(".")) {
    value =
      value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined;
  }
  // Anything else — including "admin" or "owner" — is capped at the issuer's default role.
  return typeof value === "string" && (END_USER_ROLES as readonly string[]).includes(value)
    ? (value as EndUserRole)
    : fallback;
}

async function verifyWith(config: Config, row: IssuerRow, token: string): Promise<JWTPayload> {
  const options = { issuer: row.issuer, audience: row.audience, requiredClaims: ["sub", "exp"] };
  if (row.kind === "hs256" && row.secretEnc) {
    const keyring = await importKeyring(config.ISLET_KEYRING);
    const secret = await decryptSecret(keyring, row.secretEnc, issuerSecretBinding(row.workspaceId, row.id));
    return (await jwtVerify(token, utf8(secret), { ...options, algorithms: ["HS256"] })).payload;
  }
  if (row.kind === "jwks" && row.jwksUrl) {
    return (
      await jwtVerify(token, keySetFor(config, row.jwksUrl), { ...options, algorithms: JWKS_ALGORITHMS })
    ).payload;
  }
  throw new ApiError("invalid_token", "Token is invalid");
}

/**
 * Verifies a token from an issuer registered by the addressed workspace (architecture §3). The token
 * must name an issuer of *this* workspace and pass its signature, `iss`, `aud` and `exp`
 * checks; it then acts as a member or viewer end user of this workspace and nothing else.
 */
export async function verifyEndUserToken(
  config: Config,
  token: string,
  issuer: string,
  workspaceId: string | undefined,
): Promise<EndUserActor> {
  if (!workspaceId) throw new ApiError("invalid_token", "Token is invalid");
  const [row] = await controlDb(config)
    .select()
    .from(issuers)
    .where(and(eq(issuers.workspaceId, workspaceId), eq(issuers.issuer, issuer)));
  if (!row) throw new ApiError("invalid_token", "Token is invalid");
  // An issuer is only as good as the admin who registered it (architecture §3, authority over time).
  if (row.disabledAt !== null || !(await creatorMayRegister(config, row))) {
    throw new ApiError("credential_revoked", "This token's issuer has been disabled");
  }
  let payload: JWTPayload;
  try {
    payload = await verifyWith(config, row, token);
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw new ApiError("token_expired", "Token has expired");
    throw new ApiError("invalid_token", "Token is invalid");
  }
  if (typeof payload.sub !== "string" || payload.sub.length === 0 || payload.sub.length > 256) {
    throw new ApiError("invalid_token", "Token is invalid");
  }
  return {
    type: "endUser",
    workspaceId: row.workspaceId,
    issuerId: row.id,
    subject: payload.sub,
    role: roleFrom(payload, row.roleClaim, row.defaultRole),
    tables: row.tables ? (JSON.parse(row.tables) as string[]) : null,
  };
}

async function creatorMayRegister(config: Config, row: IssuerRow): Promise<boolean> {
  const [membership] = await controlDb(config)
    .select({ role: memberships.role })
    .from(memberships)
    .where(and(eq(memberships.workspaceId, row.workspaceId), eq(memberships.userId, row.createdBy)));
  return membership !== undefined && roleAtLeast(membership.role, "admin");
}

/** `/v1/workspaces/<id>/…` → `<id>`: end-user tokens only ever address their own workspace. */
export const workspaceIdFromPath = (path: string) =>
  /^\/v1\/workspaces\/(ws_[0-9a-z]{26})(?:\/|$)/.exec(path)?.[1];
