import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { type WorkspaceRow, workspaces } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { auditedControlChange } from "../audit/control";
import { authorizeWorkspace, membershipRole, requireUser, type WorkspaceAccess } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { type WorkspaceView, workspaceView } from "./create";
import { renameWorkspaceInput, transferWorkspaceInput, WORKSPACES_NEEDS } from "./schemas";

export type PlanId = WorkspaceRow["plan"];

/**
 * Sets one field of the workspace row with its audit event (`details` are added to `from`/`to`),
 * undone if the event cannot be written. A no-op change writes nothing and returns null. Callers
 * authorize first.
 */
export async function updateWorkspaceField<K extends "name" | "plan">(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  change: { field: K; value: WorkspaceRow[K]; action: string; details?: Record<string, unknown> },
): Promise<WorkspaceRow | null> {
  const before = access.workspace;
  if (before[change.field] === change.value) return null;
  const db = controlDb(ctx.config);
  const set = async (value: WorkspaceRow[K]) => {
    const [row] = await db
      .update(workspaces)
      .set({ [change.field]: value, updatedAt: Date.now() })
      .where(eq(workspaces.id, before.id))
      .returning();
    if (!row) throw new ApiError("not_found", "Workspace not found");
    return row;
  };
  return auditedControlChange(ctx, access, {
    apply: () => set(change.value),
    undo: () => set(before[change.field]),
    event: () => ({
      action: change.action,
      targetType: "workspace",
      targetId: before.id,
      details: { from: before[change.field], to: change.value, ...change.details },
    }),
  });
}

/** Renames a workspace (admin or owner; users only: API keys may not change the workspace itself). */
export async function renameWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; name: string }>): Promise<WorkspaceView> {
  const input = parseInput(renameWorkspaceInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, WORKSPACES_NEEDS.rename);
  const after = await updateWorkspaceField(ctx, access, {
    field: "name",
    value: input.name,
    action: "workspace.rename",
  });
  return workspaceView(after ?? access.workspace, access.role);
}

/**
 * Hands ownership to an admin of the workspace (owner only, users only). The new owner must
 * already be an admin — ownership is never handed to someone the owner has not trusted with
 * administration — and the previous owner stays on as admin.
 */
export async function transferWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; userId: string }>): Promise<WorkspaceView> {
  const input = parseInput(transferWorkspaceInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, WORKSPACES_NEEDS.own);
  const { userId } = requireUser(ctx);
  const workspaceId = access.workspace.id;
  if (input.userId === userId) throw new ApiError("invalid_request", "You already own this workspace");
  const targetRole = await membershipRole(ctx, workspaceId, input.userId);
  if (!targetRole) throw new ApiError("not_found", "That user is not a member of this workspace");
  if (targetRole !== "admin") {
    throw new ApiError("conflict", "Ownership can only be transferred to an admin", {
      details: { role: targetRole },
    });
  }
  const client = controlDb(ctx.config).$client;
  const swap = async (from: string, to: string) => {
    // One write transaction, conditional on the current roles: a concurrent change can never
    // leave two owners where one was meant, or none.
    const tx = await client.transaction("write");
    try {
      const promoted = await tx.execute({
        sql: "UPDATE memberships SET role = 'owner' WHERE workspace_id = ? AND user_id = ? AND role = 'admin'",
        args: [workspaceId, to],
      });
      const demoted = await tx.execute({
        sql: "UPDATE memberships SET role = 'admin' WHERE workspace_id = ? AND user_id = ? AND role = 'owner'",
        args: [workspaceId, from],
      });
      if (promoted.rowsAffected !== 1 || demoted.rowsAffected !== 1) {
        await tx.rollback();
        throw new ApiError("conflict", "The members' roles changed meanwhile; nothing was transferred");
      }
      await tx.commit();
    } finally {
      tx.close();
    }
  };
  await auditedControlChange(ctx, access, {
    apply: () => swap(userId, input.userId),
    undo: () => swap(input.userId, userId),
    event: () => ({
      action: "workspace.transfer",
      targetType: "workspace",
      targetId: workspaceId,
      details: { from: userId, to: input.userId },
    }),
  });
  return workspaceView(access.workspace, "admin");
}
