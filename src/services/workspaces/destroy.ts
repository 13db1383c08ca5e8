import { and, eq, inArray } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import {
  apiKeys,
  invitations,
  issuers,
  memberships,
  securityLog,
  type WorkspaceRow,
  workspaces,
} from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { provisionerFor } from "../../provision";
import { destroyBackups } from "../backups";
import { membershipRole, requireUser } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { forgetPrincipal } from "../gatekeeper";
import { forgetWorkspaceHub } from "../hub";
import { onCredentialRevoked } from "../keys/revocation";
import { securityEventRow } from "../security-log/record";
import { deleteWorkspaceInput } from "./schemas";

/**
 * Deletes a workspace for good (architecture §3, §10): owner only, never by an API key, and only with
 * `confirm` naming the workspace's slug. Destroys its database through the provisioner, then its
 * control rows; the event goes to the platform security log because the tenant log dies with it.
 */
export async function deleteWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; confirm?: string }>): Promise<void> {
  const input = parseInput(deleteWorkspaceInput, raw);
  const { userId } = requireUser(ctx);
  const db = controlDb(ctx.config);
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, input.workspaceId));
  const role = row ? await membershipRole(ctx, row.id, userId) : null;
  // A workspace still `deleting` after a failed attempt may be deleted again; `provisioning` may not.
  if (!row || !role || row.status === "provisioning") throw new ApiError("not_found", "Workspace not found");
  if (role !== "owner") {
    throw new ApiError("forbidden", "Only an owner can delete a workspace", {
      details: { required: "owner", role },
    });
  }
  if (input.confirm !== row.slug) {
    throw new ApiError("confirmation_required", "Set `confirm` to the workspace's slug to delete it", {
      details: { field: "confirm" },
    });
  }
  await destroyWorkspace(ctx, row, { reason: "deleted by owner" });
}

/**
 * Removes a workspace's database and control rows. Marks it `deleting` first so nothing else
 * is admitted meanwhile; a failure leaves it `deleting` for a retry, never half-active.
 */
export async function destroyWorkspace(
  ctx: ServiceContext,
  row: WorkspaceRow,
  opts: { reason: string } = { reason: "compensation" },
): Promise<void> {
  const db = controlDb(ctx.config);
  await db
    .update(workspaces)
    .set({ status: "deleting", updatedAt: Date.now() })
    .where(
      and(eq(workspaces.id, row.id), inArray(workspaces.status, ["active", "deleting", "provisioning"])),
    );
  const keys = await db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.workspaceId, row.id));
  try {
    await provisionerFor(ctx.config).destroy(row.dbName);
  } catch (error) {
    ctx.logger.error("workspace database could not be destroyed; left `deleting` for a retry", {
      workspaceId: row.id,
      error: error instanceof Error ? error.message : String(error),
    });
    throw new ApiError("unavailable", "The workspace database could not be destroyed; retry the deletion");
  }
  await db.batch([
    db.delete(apiKeys).where(eq(apiKeys.workspaceId, row.id)),
    db.delete(invitations).where(eq(invitations.workspaceId, row.id)),
    db.delete(issuers).where(eq(issuers.workspaceId, row.id)),
    db.delete(memberships).where(eq(memberships.workspaceId, row.id)),
    db.delete(workspaces).where(eq(workspaces.id, row.id)),
    db.insert(securityLog).values(
      securityEventRow(ctx, {
        action: "workspace.delete",
        // The deleting user is the subject: the record leaves with their account's retention.
        ...(ctx.actor.type === "user" ? { subjectUserId: ctx.actor.userId } : {}),
        details: {
          workspaceId: row.id,
          slug: row.slug,
          name: row.name,
          region: row.region,
          reason: opts.reason,
          keysRemoved: keys.length,
        },
      }),
    ),
  ]);
  await forgetWorkspaceHub(ctx, row.id, "workspace deleted");
  // Its backups go now; any that cannot be dropped are swept by the daily job (within 30 days).
  await destroyBackups(ctx, row.id).catch((error: unknown) =>
    ctx.logger.warn("backups not dropped; the daily sweep will", {
      workspaceId: row.id,
      error: error instanceof Error ? error.message : String(error),
    }),
  );
  for (const key of keys) await onCredentialRevoked(ctx, { kind: "key", id: key.id, workspaceId: row.id });
  // What the Gatekeeper holds for the workspace and its keys goes too (architecture §10): the keys'
  // rows are gone, so nothing they could present verifies any more.
  // Best effort: the deletion has happened; counters left behind only cost storage.
  await Promise.all(
    [`ws:${row.id}`, ...keys.map((key) => `key:${key.id}`)].map((principal) =>
      forgetPrincipal(ctx.env, principal).catch((error: unknown) =>
        ctx.logger.warn("gatekeeper state not cleared", {
          principal,
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
    ),
  );
  ctx.logger.info("workspace deleted", { workspaceId: row.id, reason: opts.reason });
}
