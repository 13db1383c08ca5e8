import { and, eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { keyAncestry } from "../../db/control/key-lineage";
import { apiKeys } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { authorizeWorkspace, type WorkspaceAccess } from "../core/access";
import type { ServiceContext } from "../core/context";
import type { KeyBounds } from "./bounds";
import type { KeyStatus, KeyView } from "./schemas";
import { KEYS_NEEDS } from "./schemas";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export function keyStatus(row: ApiKeyRow, now = Date.now()): KeyStatus {
  if (row.revokedAt !== null) return row.revokedAt <= now ? "revoked" : "rotating";
  if (row.expiresAt !== null && row.expiresAt <= now) return "expired";
  return "active";
}

export const boundsOf = (row: ApiKeyRow): KeyBounds => ({
  scopes: JSON.parse(row.scopes) as string[],
  tables: row.tables ? (JSON.parse(row.tables) as string[]) : null,
  perMinute: row.perMinute,
  monthlyCap: row.monthlyCap,
  expiresAt: row.expiresAt,
});

export function keyView(row: ApiKeyRow, now = Date.now()): KeyView {
  const bounds = boundsOf(row);
  return {
    id: row.id,
    name: row.name,
    prefix: `isk_${row.id}_…`,
    scopes: [...bounds.scopes],
    tables: bounds.tables ? [...bounds.tables] : null,
    perMinute: row.perMinute,
    monthlyCap: row.monthlyCap,
    expiresAt: row.expiresAt,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
    rotatedTo: row.rotatedTo,
    status: keyStatus(row, now),
  };
}

/** Who is managing keys: the authorized access, the human accountable, and a key's own bounds. */
export interface KeyManager {
  access: WorkspaceAccess;
  /** The user a new key answers to: the signed-in user, or the creator of the acting key. */
  creatorUserId: string;
  /** The acting key's bounds when a key manages keys; null for users. */
  parent: KeyBounds | null;
}

/** Key management needs an admin (users) or the `keys:manage` scope (keys) — architecture §3. */
export async function keyManager(ctx: ServiceContext, workspaceId: string): Promise<KeyManager> {
  const access = await authorizeWorkspace(ctx, workspaceId, KEYS_NEEDS.manage);
  const actor = ctx.actor;
  if (actor.type === "user") return { access, creatorUserId: actor.userId, parent: null };
  if (actor.type === "apiKey") {
    const [self] = await controlDb(ctx.config).select().from(apiKeys).where(eq(apiKeys.id, actor.keyId));
    if (!self) throw new ApiError("invalid_token", "API key is invalid");
    // A key on its way out (rotation grace) keeps serving requests but no longer manages keys.
    if (self.revokedAt !== null || self.rotatedTo !== null) {
      throw new ApiError("forbidden", "A key that has been rotated or revoked cannot manage keys");
    }
    return { access, creatorUserId: actor.createdBy, parent: boundsOf(self) };
  }
  throw new ApiError("forbidden", "Only members and their keys manage API keys");
}

export async function loadKey(ctx: ServiceContext, workspaceId: string, keyId: string): Promise<ApiKeyRow> {
  const [row] = await controlDb(ctx.config)
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.workspaceId, workspaceId)));
  if (!row) throw new ApiError("not_found", "API key not found");
  return row;
}

export { type KeyAncestor, keyAncestry, MAX_KEY_DEPTH } from "../../db/control/key-lineage";

/** The ids of a key and every key above it. */
export const lineageOf = async (ctx: ServiceContext, keyId: string) =>
  (await keyAncestry(ctx.config, keyId)).map((k) => k.id);

/**
 * What a key may do to another key. Rotating hands out a new credential in the target's place, so a
 * key rotates only itself and the keys below it (its children, theirs, …) — else rotating its
 * parent or a sibling would give its holder a key outside its own subtree, one that revoking it
 * would not reach. Revoking never hands anything out; a key may revoke within its bounds but never
 * a key above it. Users are not limited by this.
 */
export async function assertManagesKey(
  ctx: ServiceContext,
  manager: KeyManager,
  target: ApiKeyRow,
  action: "rotate" | "revoke",
): Promise<void> {
  if (ctx.actor.type !== "apiKey" || !manager.parent) return;
  const self = ctx.actor.keyId;
  if (action === "rotate") {
    if ((await lineageOf(ctx, target.id)).includes(self)) return;
    throw new ApiError("forbidden", "A key rotates only itself and the keys it minted");
  }
  if (target.id !== self && (await lineageOf(ctx, self)).includes(target.id)) {
    throw new ApiError("forbidden", "A key cannot revoke a key above it");
  }
}
