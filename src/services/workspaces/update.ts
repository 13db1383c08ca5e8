import { eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { type WorkspaceRow, workspaces } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../../types";
import { authorizeWorkspace, membershipRole, requireUser } from "../access";
import { auditedControlChange } from "./control-audit";
import { type WorkspaceView, workspaceView } from "./create";

export type PlanId = WorkspaceRow["plan"];

/** Renames a workspace (admin or owner; API keys may not change the workspace itself). */
export async function renameWorkspace({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; name: string };
}): Promise<WorkspaceView> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "admin",
    scope: "keys:manage",
    usersOnly: true,
  });
  const before = access.workspace;
  if (before.name === input.name) return workspaceView(before, access.role);
  const db = controlDb(ctx.config);
  const setName = async (name: string) => {
    const [row] = await db
      .update(workspaces)
      .set({ name, updatedAt: Date.now() })
      .where(eq(workspaces.id, before.id))
      .returning();
    if (!row) throw new ApiError("not_found", "Workspace not found");
    return row;
  };
  const after = await auditedControlChange(ctx, access, {
    apply: () => setName(input.name),
    undo: () => setName(before.name),
    event: () => ({
      action: "workspace.rename",
      targetType: "workspace",
      targetId: before.id,
      details: { from: before.name, to: input.name },
    }),
  });
  return workspaceView(after, access.role);
}

/**
 * Changes the workspace's plan (owner only, users only — DESIGN §3). Billing is out of scope
 * here: this is the switch a billing integration will call; its limits apply on the next request.
 */
export async function changePlan({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; plan: PlanId };
}): Promise<WorkspaceView> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "owner",
    scope: "keys:manage",
    usersOnly: true,
  });
  const before = access.workspace;
  if (before.plan === input.plan) return workspaceView(before, access.role);
  const db = controlDb(ctx.config);
  const setPlan = async (plan: PlanId) => {
    const [row] = await db
      .update(workspaces)
      .set({ plan, updatedAt: Date.now() })
      .where(eq(workspaces.id, before.id))
      .returning();
    if (!row) throw new ApiError("not_found", "Workspace not found");
    return row;
  };
  const after = await auditedControlChange(ctx, access, {
    apply: () => setPlan(input.plan),
    undo: () => setPlan(before.plan),
    event: () => ({
      action: "workspace.plan_change",
      targetType: "workspace",
      targetId: before.id,
      details: { from: before.plan, to: input.plan },
    }),
  });
  return workspaceView(after, access.role);
}

/**
 * Hands ownership to an admin of the workspace (owner only, users only). The new owner must
 * already be an admin — ownership is never handed to someone the owner has not trusted with
 * administration — and the previous owner stays on as admin.
 */
export async function transferWorkspace({
  ctx,
  input,
}: {
  ctx: ServiceContext;
  input: { workspaceId: string; userId: string };
}): Promise<WorkspaceView> {
  const access = await authorizeWorkspace(ctx, input.workspaceId, {
    role: "owner",
    scope: "keys:manage",
    usersOnly: true,
  });
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
