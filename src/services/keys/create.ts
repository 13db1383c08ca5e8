import { and, count, eq, gt, isNull, or, sql } from "drizzle-orm";
import type { z } from "zod";
import { insertWhere } from "../../db/capped";
import { controlDb } from "../../db/control/client";
import { apiKeys, type WorkspaceRow } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { capOf, planLimit } from "../../lib/plans";
import { auditedControlChange } from "../audit/control";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { revokeCredential } from "../gatekeeper";
import { requireVerifiedActor } from "../verified";
import { emitWebhookEvent } from "../webhooks";
import { assertWithinKey, assertWithinRole, inheritBounds, type KeyBounds } from "./bounds";
import {
  type ApiKeyRow,
  assertManagesKey,
  boundsOf,
  type KeyManager,
  keyManager,
  keyView,
  lineageOf,
  loadKey,
  MAX_KEY_DEPTH,
} from "./common";
import { newKeyCredential } from "./credential";
import { onCredentialRevoked } from "./revocation";
import { revokeDescendants } from "./revoke";
import { type CreatedKey, type CreateKeyInput, createKeyInput, rotateKeyInput } from "./schemas";

/** Checks a key's bounds against who mints it: the creator's role, and a minting key's own bounds. */
function assertMintable(manager: KeyManager, bounds: KeyBounds): void {
  if (manager.access.role === null)
    throw new ApiError("forbidden", "Only members and their keys create API keys");
  assertWithinRole(bounds.scopes, manager.access.role);
  if (manager.parent) assertWithinKey(bounds, manager.parent);
  if (bounds.expiresAt !== null && bounds.expiresAt <= Date.now()) {
    throw new ApiError("invalid_request", "expiresAt must be in the future", {
      details: { field: "expiresAt" },
    });
  }
}

async function newKeyRow(
  workspaceId: string,
  name: string,
  bounds: KeyBounds,
  createdBy: string,
  parentId: string | null,
) {
  const credential = await newKeyCredential();
  const row: ApiKeyRow = {
    id: credential.keyId,
    workspaceId,
    name,
    secretHash: credential.secretHash,
    scopes: JSON.stringify(bounds.scopes),
    tables: bounds.tables === null ? null : JSON.stringify(bounds.tables),
    perMinute: bounds.perMinute,
    monthlyCap: bounds.monthlyCap,
    expiresAt: bounds.expiresAt,
    createdBy,
    createdAt: Date.now(),
    lastUsedAt: null,
    revokedAt: null,
    rotatedTo: null,
    parentId,
  };
  return { row, token: credential.token };
}

const auditBounds = (b: KeyBounds) => ({
  scopes: b.scopes,
  tables: b.tables,
  perMinute: b.perMinute,
  monthlyCap: b.monthlyCap,
  expiresAt: b.expiresAt,
});

/** Keys minted by keys nest at most MAX_KEY_DEPTH deep (every request walks its ancestors). */
async function assertMintDepth(ctx: ServiceContext, keyId: string): Promise<void> {
  if ((await lineageOf(ctx, keyId)).length >= MAX_KEY_DEPTH) {
    throw new ApiError("forbidden", `Keys nest at most ${MAX_KEY_DEPTH} deep`);
  }
}

/** A key's name says what it is for, so two live keys of a workspace never share one. */
const nameTaken = (name: string) =>
  new ApiError(
    "key_name_taken",
    `A live key named "${name}" already exists in this workspace; choose another name`,
    { details: { field: "name" } },
  );

/**
 * Inserts the key while the plan has room for another live key (rotation replaces one and is not
 * counted) and no live key of the workspace (not revoked, or still in a rotation's grace; not
 * expired) has its name, compared case-insensitively. Both conditions and the insert are one
 * statement (insertWhere), so a burst of parallel creates stops at the cap and two creates with
 * the same name cannot both pass. A rotation's successor keeps its predecessor's name and is
 * inserted elsewhere (rotateKey), never through this check.
 */
async function insertLiveKey(ctx: ServiceContext, workspace: WorkspaceRow, row: ApiKeyRow): Promise<void> {
  const db = controlDb(ctx.config);
  const now = Date.now();
  const live = and(
    eq(apiKeys.workspaceId, workspace.id),
    or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, now)),
    or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
  );
  const liveCount = db.select({ n: count() }).from(apiKeys).where(live);
  const sameName = db
    .select({ one: sql`1` })
    .from(apiKeys)
    .where(and(live, sql`lower(${apiKeys.name}) = lower(${row.name})`));
  const limit = capOf(workspace.plan, "keys");
  const inserted = await db.run(
    insertWhere(apiKeys, row, sql`${liveCount} < ${limit} AND NOT EXISTS ${sameName}`),
  );
  if (inserted.rowsAffected > 0) return;
  // Nothing was inserted: say which condition held it back (the name first: it is the caller's to fix).
  if ((await sameName.limit(1)).length > 0) throw nameTaken(row.name);
  throw planLimit("keys", workspace.plan, limit);
}

/**
 * Creates an API key confined to one workspace (architecture §3). The key is stored as the SHA-256
 * of its secret; the full `isk_<keyId>_<secret>` is returned once.
 */
export async function createKey({ ctx, input: raw }: ServiceArgs<CreateKeyInput>): Promise<CreatedKey> {
  const input = parseInput(createKeyInput, raw);
  const manager = await keyManager(ctx, input.workspaceId);
  // Keys are credentials: an account that has not verified its address makes none (architecture §3).
  // Listing and revoking stay open to it, so a leaked key can always be stopped.
  await requireVerifiedActor(ctx);
  const bounds = inheritBounds(input, manager.parent);
  assertMintable(manager, bounds);
  if (ctx.actor.type === "apiKey") await assertMintDepth(ctx, ctx.actor.keyId);
  const { row, token } = await newKeyRow(
    manager.access.workspace.id,
    input.name,
    bounds,
    manager.creatorUserId,
    ctx.actor.type === "apiKey" ? ctx.actor.keyId : null,
  );
  const db = controlDb(ctx.config);
  await auditedControlChange(ctx, manager.access, {
    apply: () => insertLiveKey(ctx, manager.access.workspace, row),
    undo: () => db.delete(apiKeys).where(eq(apiKeys.id, row.id)),
    event: () => ({
      action: "key.create",
      targetType: "api_key",
      targetId: row.id,
      details: {
        name: row.name,
        ...auditBounds(bounds),
        mintedBy: ctx.actor.type === "apiKey" ? ctx.actor.keyId : null,
      },
    }),
  });
  emitWebhookEvent(ctx, row.workspaceId, "key.created", {
    keyId: row.id,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
  });
  return { key: keyView(row), token };
}

/**
 * Replaces a key with a new one carrying the same name and bounds. The old key stops at once, or
 * after `graceSeconds` so deployments can switch over; the new token is returned once.
 */
export async function rotateKey({
  ctx,
  input: raw,
}: ServiceArgs<z.input<typeof rotateKeyInput>>): Promise<CreatedKey> {
  const input = parseInput(rotateKeyInput, raw);
  const grace = input.graceSeconds ?? 0;
  const manager = await keyManager(ctx, input.workspaceId);
  await requireVerifiedActor(ctx);
  const old = await loadKey(ctx, manager.access.workspace.id, input.keyId);
  await assertManagesKey(ctx, manager, old, "rotate");
  if (old.revokedAt !== null || old.rotatedTo !== null) {
    throw new ApiError("conflict", "This key has already been revoked or rotated");
  }
  const bounds = boundsOf(old);
  // Rotating mints a key: it must be one the rotating principal could have created.
  assertMintable(manager, bounds);
  const now = Date.now();
  const stopsAt = now + grace * 1000;
  // The new key takes the old one's place in the tree: same parent, and the old key's children
  // stop with it.
  const fresh = await newKeyRow(old.workspaceId, old.name, bounds, manager.creatorUserId, old.parentId);
  const db = controlDb(ctx.config);
  await auditedControlChange(ctx, manager.access, {
    apply: async () => {
      const [, retired] = await db.batch([
        db.insert(apiKeys).values(fresh.row),
        db
          .update(apiKeys)
          .set({ revokedAt: stopsAt, rotatedTo: fresh.row.id })
          .where(and(eq(apiKeys.id, old.id), isNull(apiKeys.revokedAt), isNull(apiKeys.rotatedTo))),
      ]);
      if (retired.rowsAffected !== 1) {
        await db.delete(apiKeys).where(eq(apiKeys.id, fresh.row.id));
        throw new ApiError("conflict", "This key has already been revoked or rotated");
      }
    },
    undo: () =>
      db.batch([
        db.update(apiKeys).set({ revokedAt: null, rotatedTo: null }).where(eq(apiKeys.id, old.id)),
        db.delete(apiKeys).where(eq(apiKeys.id, fresh.row.id)),
      ]),
    event: () => ({
      action: "key.rotate",
      targetType: "api_key",
      targetId: old.id,
      details: { rotatedTo: fresh.row.id, graceSeconds: grace, oldKeyStopsAt: stopsAt },
    }),
  });
  // The Gatekeeper is the authority on revocation (architecture §4): from `stopsAt` the old key is refused.
  await revokeCredential(
    ctx.env,
    `key:${old.id}`,
    old.id,
    grace > 0 ? { at: now, graceUntil: stopsAt } : { at: now },
  );
  await onCredentialRevoked(ctx, {
    kind: "key",
    id: old.id,
    workspaceId: old.workspaceId,
    ...(grace > 0 ? { effectiveAt: stopsAt } : {}),
  });
  // The old key's children stop with it; the new key takes its place and is not one of them.
  await revokeDescendants(ctx, manager.access, old.id, stopsAt, { successors: false });
  return { key: keyView(fresh.row), token: fresh.token };
}
