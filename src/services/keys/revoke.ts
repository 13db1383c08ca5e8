import { and, desc, eq, gt, isNull, or } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys } from "../../db/control/schema";
import type { ServiceContext } from "../../types";
import type { WorkspaceAccess } from "../access";
import { revokeCredential } from "../gatekeeper";
import { auditedRevocation } from "../workspaces/control-audit";
import { assertWithinKey } from "./bounds";
import { boundsOf, type KeyView, keyManager, keyView, loadKey } from "./common";
import { onCredentialRevoked } from "./revocation";

/** Marks a key revoked now and records it with the Gatekeeper, so its next request is refused. */
async function revokeNow(ctx: ServiceContext, workspaceId: string, keyId: string, at: number): Promise<void> {
  const db = controlDb(ctx.config);
  await db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, at))));
  await revokeCredential(ctx.env, `key:${keyId}`, keyId, { at });
  await onCredentialRevoked(ctx, { kind: "key", id: keyId, workspaceId });
}

/**
 * Revokes a key at once (a rotated key still in its grace period stops now too). Idempotent: a
 * key already revoked stays revoked and is not logged twice. A key may only revoke keys it could
 * have minted itself, so a narrow key cannot knock out wider ones.
 */
export async function revokeKey({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; keyId: string };
}): Promise<KeyView> {
  const manager = await keyManager(ctx, input.workspaceId);
  const row = await loadKey(ctx, manager.access.workspace.id, input.keyId);
  if (manager.parent) assertWithinKey(boundsOf(row), manager.parent);
  const now = Date.now();
  if (row.revokedAt !== null && row.revokedAt <= now) return keyView(row, now);
  await auditedRevocation(
    ctx,
    manager.access,
    () => revokeNow(ctx, row.workspaceId, row.id, now),
    () => ({ action: "key.revoke", targetType: "api_key", targetId: row.id, details: { name: row.name } }),
  );
  return keyView({ ...row, revokedAt: now }, now);
}

/**
 * Revokes every live key a member created in a workspace (they are removed or left): a key
 * never outlives the authority of the person accountable for it.
 */
export async function revokeKeysCreatedBy(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  userId: string,
): Promise<string[]> {
  const now = Date.now();
  const live = await controlDb(ctx.config)
    .select({ id: apiKeys.id, name: apiKeys.name })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.workspaceId, access.workspace.id),
        eq(apiKeys.createdBy, userId),
        or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, now)),
      ),
    );
  for (const key of live) {
    await auditedRevocation(
      ctx,
      access,
      () => revokeNow(ctx, access.workspace.id, key.id, now),
      () => ({
        action: "key.revoke",
        targetType: "api_key",
        targetId: key.id,
        details: { name: key.name, reason: "creator left the workspace" },
      }),
    );
  }
  return live.map((k) => k.id);
}

/** Keys of a workspace, newest first: prefix and metadata only. */
export async function listKeys({ ctx, input }: { ctx: ServiceContext; input: { workspaceId: string } }) {
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
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; keyId: string };
}): Promise<KeyView> {
  const { access } = await keyManager(ctx, input.workspaceId);
  return keyView(await loadKey(ctx, access.workspace.id, input.keyId));
}
