import { and, desc, eq, gt, inArray, isNull, or, type SQL } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys } from "../../db/control/schema";
import { auditedRevocation } from "../audit/control";
import type { WorkspaceAccess } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { revokeCredential } from "../gatekeeper";
import { endArrangementsOf } from "../standing";
import { emitWebhookEvent } from "../webhooks";
import { assertWithinKey } from "./bounds";
import { assertManagesKey, boundsOf, keyManager, keyView, loadKey } from "./common";
import { onCredentialRevoked } from "./revocation";
import { type KeyView, keyTarget, workspaceScoped } from "./schemas";

/**
 * Marks a key revoked from `stopsAt` (now, or the end of a rotation's grace period) and records
 * it with the Gatekeeper, so its next request after that is refused. What the key set up (webhook
 * endpoints, API accounts) stops with it; after a grace period, at their next delivery or call.
 */
async function revokeNow(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  keyId: string,
  at: number,
  stopsAt = at,
): Promise<void> {
  const workspaceId = access.workspace.id;
  const db = controlDb(ctx.config);
  await db
    .update(apiKeys)
    .set({ revokedAt: stopsAt })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, stopsAt))));
  await revokeCredential(ctx.env, `key:${keyId}`, keyId, stopsAt > at ? { at, graceUntil: stopsAt } : { at });
  await onCredentialRevoked(ctx, {
    kind: "key",
    id: keyId,
    workspaceId,
    ...(stopsAt > at ? { effectiveAt: stopsAt } : {}),
  });
  emitWebhookEvent(ctx, workspaceId, "key.revoked", { keyId, effectiveAt: stopsAt });
  if (stopsAt <= at) await endArrangementsOf(ctx, access, [keyId], "the API key that made it was revoked");
}

/**
 * Revokes every key that came from `keyId`, transitively (architecture §3: a child key and a rotation
 * successor die with their parent): the keys it minted and, when `successors`, the key it was
 * rotated into — a leaked key that rotated itself does not escape its own revocation — from the
 * moment the parent stops. A rotation itself passes `successors: false`: its new key takes the
 * old one's place. Each is audited in the workspace log.
 */
export async function revokeDescendants(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  keyId: string,
  stopsAt: number,
  { successors }: { successors: boolean },
): Promise<string[]> {
  const db = controlDb(ctx.config);
  const now = Date.now();
  const revoked: string[] = [];
  const seen = new Set([keyId]);
  let frontier = [keyId];
  while (frontier.length > 0) {
    const from = frontier;
    const [children, rotated] = await Promise.all([
      db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.workspaceId, access.workspace.id), inArray(apiKeys.parentId, from))),
      successors
        ? db
            .select()
            .from(apiKeys)
            .where(
              and(
                eq(apiKeys.workspaceId, access.workspace.id),
                inArray(
                  apiKeys.id,
                  db.select({ id: apiKeys.rotatedTo }).from(apiKeys).where(inArray(apiKeys.id, from)),
                ),
              ),
            )
        : [],
    ]);
    frontier = [];
    const next = [
      ...children.map((key) => ({ key, reason: "parent key revoked or rotated" })),
      ...rotated.map((key) => ({ key, reason: "the key it was rotated from was revoked" })),
    ];
    for (const { key, reason } of next) {
      if (seen.has(key.id)) continue;
      seen.add(key.id);
      frontier.push(key.id);
      if (key.revokedAt !== null && key.revokedAt <= stopsAt) continue;
      await auditedRevocation(
        ctx,
        access,
        () => revokeNow(ctx, access, key.id, now, stopsAt),
        () => ({
          action: "key.revoke",
          targetType: "api_key",
          targetId: key.id,
          details: { name: key.name, reason, parentId: key.parentId },
        }),
      );
      revoked.push(key.id);
    }
  }
  return revoked;
}

/**
 * Revokes a key at once (a rotated key still in its grace period stops now too). Idempotent: a
 * key already revoked stays revoked and is not logged twice. A key may only revoke keys it could
 * have minted itself, so a narrow key cannot knock out wider ones.
 */
export async function revokeKey({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; keyId: string }>): Promise<KeyView> {
  const input = parseInput(keyTarget, raw);
  const manager = await keyManager(ctx, input.workspaceId);
  const row = await loadKey(ctx, manager.access.workspace.id, input.keyId);
  if (manager.parent) assertWithinKey(boundsOf(row), manager.parent);
  await assertManagesKey(ctx, manager, row, "revoke");
  const now = Date.now();
  const stopped = row.revokedAt !== null && row.revokedAt <= now;
  if (!stopped) {
    await auditedRevocation(
      ctx,
      manager.access,
      () => revokeNow(ctx, manager.access, row.id, now),
      () => ({ action: "key.revoke", targetType: "api_key", targetId: row.id, details: { name: row.name } }),
    );
  }
  // Also for a key that had already stopped (rotated, its grace over): the keys it minted or was
  // rotated into may still be live, and they stop now too.
  await revokeDescendants(ctx, manager.access, row.id, now, { successors: true });
  return keyView(stopped ? row : { ...row, revokedAt: now }, now);
}

/**
 * Revokes every live key of a workspace that matches `which` (the keys a departing member
 * created, …), each audited with the reason: a key never outlives the authority of the person
 * accountable for it.
 */
export async function revokeKeysWhere(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  which: SQL | undefined,
  reason: string,
): Promise<string[]> {
  const now = Date.now();
  const live = await controlDb(ctx.config)
    .select({ id: apiKeys.id, name: apiKeys.name })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.workspaceId, access.workspace.id),
        which,
        or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, now)),
      ),
    );
  for (const key of live) {
    await auditedRevocation(
      ctx,
      access,
      () => revokeNow(ctx, access, key.id, now),
      () => ({
        action: "key.revoke",
        targetType: "api_key",
        targetId: key.id,
        details: { name: key.name, reason },
      }),
    );
    await revokeDescendants(ctx, access, key.id, now, { successors: true });
  }
  return live.map((k) => k.id);
}

/** Keys of a workspace, newest first: prefix and metadata only. */
export async function listKeys({ ctx, input: raw }: ServiceArgs<{ workspaceId: string }>) {
  const input = parseInput(workspaceScoped, raw);
  const { access } = await keyManager(ctx, input.workspaceId);
  const rows = await controlDb(ctx.config)
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.workspaceId, access.workspace.id))
    .orderBy(desc(apiKeys.createdAt));
  const now = Date.now();
  return rows.map((r) => keyView(r, now));
}

export async function getKey({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; keyId: string }>): Promise<KeyView> {
  const input = parseInput(keyTarget, raw);
  const { access } = await keyManager(ctx, input.workspaceId);
  return keyView(await loadKey(ctx, access.workspace.id, input.keyId));
}
