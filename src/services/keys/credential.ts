import { eq } from "drizzle-orm";
import type { Config } from "../../config";
import { controlDb } from "../../db/control/client";
import { apiKeys, workspaces } from "../../db/control/schema";
import { randomBytes, sha256Hex, timingSafeEqual } from "../../lib/crypto";
import { bytesToBase64Url } from "../../lib/encoding";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { VerifiedKey } from "../core/actor";
import { keyAncestry } from "./common";

export type { VerifiedKey } from "../core/actor";

/** `isk_<keyId>_<secret>`: the key id is the lookup, the 256-bit secret is stored only hashed. */
const KEY_FORMAT = /^isk_([0-9a-z]{20,40})_([A-Za-z0-9_-]{43})$/;

export interface NewKeyCredential {
  keyId: string;
  secretHash: string;
  /** Shown once to the creator, never stored. */
  token: string;
}

export async function newKeyCredential(): Promise<NewKeyCredential> {
  const keyId = newId("k").slice(2);
  const secret = bytesToBase64Url(randomBytes(32));
  return { keyId, secretHash: await sha256Hex(secret), token: `isk_${keyId}_${secret}` };
}

/** A token read as an API key (see parseApiKey). */
export interface ApiKeyToken {
  /** The id the token names, even when the rest is malformed: what a failure is logged under. */
  namedId: string | undefined;
  /** The key id and secret, when the whole token has the format. */
  parts: { keyId: string; secret: string } | undefined;
}

/**
 * The one reading of the key format, for authentication and verification alike. Undefined: the
 * token is no API key at all (no `isk_`), so it is read as a JWT.
 */
export function parseApiKey(token: string): ApiKeyToken | undefined {
  if (!token.startsWith("isk_")) return undefined;
  const match = KEY_FORMAT.exec(token) as [string, string, string] | null;
  return {
    namedId: /^isk_([0-9a-z]{1,40})_/.exec(token)?.[1],
    parts: match ? { keyId: match[1], secret: match[2] } : undefined,
  };
}

/**
 * The ancestors of a key (the keys that minted it, nearest first): a revoked ancestor revokes it
 * (a mint that raced its parent's revocation cannot outlive it), and each monthly cap above it
 * counts its requests too.
 */
async function ancestorCapsOf(config: Config, parentId: string | null, now: number) {
  const ancestors = parentId === null ? [] : await keyAncestry(config, parentId);
  if (ancestors.some((a) => a.revokedAt !== null && a.revokedAt <= now)) {
    throw new ApiError("credential_revoked", "API key has been revoked");
  }
  return ancestors.flatMap((a) => (a.monthlyCap === null ? [] : [{ keyId: a.id, monthlyCap: a.monthlyCap }]));
}

/** The request actor a verified key acts as. */
export const keyActor = (key: VerifiedKey) =>
  ({
    type: "apiKey",
    keyId: key.keyId,
    workspaceId: key.workspaceId,
    scopes: key.scopes,
    tables: key.tables,
    createdBy: key.createdBy,
  }) as const;

/**
 * Looks a key up by id and compares the secret's hash in constant time. Unknown, malformed,
 * revoked and expired keys all answer 401 with no hint of which.
 */
export async function verifyApiKey(config: Config, token: string, now = Date.now()): Promise<VerifiedKey> {
  const parts = parseApiKey(token)?.parts;
  if (!parts) throw new ApiError("invalid_token", "API key is invalid");
  const { keyId, secret } = parts;
  const row = await loadKey(config, keyId);
  const presented = await sha256Hex(secret);
  // Compare even when the row is missing, so timing does not tell unknown ids from wrong secrets.
  const matches = timingSafeEqual(presented, row?.key.secretHash ?? "0".repeat(64));
  if (!row || !matches) throw new ApiError("invalid_token", "API key is invalid");
  return liveKey(config, row, now);
}

/**
 * A key known by id alone, for a credential proven earlier by its secret (a socket ticket it
 * asked for): checked again against the database now, as if presented.
 */
export async function verifyKeyById(config: Config, keyId: string, now = Date.now()): Promise<VerifiedKey> {
  const row = await loadKey(config, keyId);
  if (!row) throw new ApiError("invalid_token", "API key is invalid");
  return liveKey(config, row, now);
}

async function loadKey(config: Config, keyId: string) {
  const [row] = await controlDb(config)
    .select({ key: apiKeys, plan: workspaces.plan, status: workspaces.status })
    .from(apiKeys)
    .innerJoin(workspaces, eq(workspaces.id, apiKeys.workspaceId))
    .where(eq(apiKeys.id, keyId));
  return row;
}

async function liveKey(
  config: Config,
  row: NonNullable<Awaited<ReturnType<typeof loadKey>>>,
  now: number,
): Promise<VerifiedKey> {
  if (row.key.revokedAt !== null && row.key.revokedAt <= now) {
    throw new ApiError("credential_revoked", "API key has been revoked");
  }
  if (row.key.expiresAt !== null && row.key.expiresAt <= now)
    throw new ApiError("token_expired", "API key has expired");
  if (row.status !== "active") throw new ApiError("unavailable", "The workspace is not available");
  return {
    keyId: row.key.id,
    workspaceId: row.key.workspaceId,
    plan: row.plan,
    scopes: JSON.parse(row.key.scopes) as string[],
    tables: row.key.tables ? (JSON.parse(row.key.tables) as string[]) : null,
    perMinute: row.key.perMinute,
    monthlyCap: row.key.monthlyCap,
    createdBy: row.key.createdBy,
    lastUsedAt: row.key.lastUsedAt,
    expiresAt: row.key.expiresAt,
    ancestorCaps: await ancestorCapsOf(config, row.key.parentId, now),
  };
}
