import { and, asc, eq } from "drizzle-orm";
import type { z } from "zod";
import { controlDb } from "../../db/control/client";
import { memberships, users } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { roleAtLeast } from "../../lib/scopes";
import type { Role } from "../../lib/tenancy";
import { auditedControlChange } from "../audit/control";
import { memberAuthorityChanged } from "../authority";
import { authorizeWorkspace, membershipRole, requireUser, type WorkspaceAccess } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { emitWebhookEvent } from "../webhooks";
import { assertCanGrant, assertCanManage } from "./roles";
import type { Member } from "./schemas";
import { changeRoleInput, MEMBERS_NEEDS, memberTarget, workspaceScoped } from "./schemas";

export type MemberView = z.infer<typeof Member>;

/** Member management is for people: API keys and end-user tokens never change membership. */
const manageNeed = MEMBERS_NEEDS.manage;

export async function listMembers({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<MemberView[]> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, MEMBERS_NEEDS.list);
  return controlDb(ctx.config)
    .select({
      userId: memberships.userId,
      email: users.email,
      name: users.name,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.workspaceId, access.workspace.id))
    .orderBy(asc(memberships.createdAt));
}

/**
 * Sets a role only if the workspace keeps an owner: a single conditional statement, so two
 * owners demoting each other at once cannot leave the workspace ownerless.
 */
async function setRoleKeepingAnOwner(ctx: ServiceContext, workspaceId: string, userId: string, role: Role) {
  const result = await controlDb(ctx.config).$client.execute({
    sql: `UPDATE memberships SET role = ? WHERE workspace_id = ? AND user_id = ?
            AND (role != 'owner' OR ? = 'owner'
              OR (SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND role = 'owner') > 1)`,
    args: [role, workspaceId, userId, role, workspaceId],
  });
  if (result.rowsAffected !== 1) {
    throw new ApiError("conflict", "A workspace must keep at least one owner");
  }
}

async function targetOf(ctx: ServiceContext, access: WorkspaceAccess, userId: string): Promise<Role> {
  const role = await membershipRole(ctx, access.workspace.id, userId);
  if (!role) throw new ApiError("not_found", "Member not found");
  return role;
}

/** Changes another member's role, within what the actor may grant (see ./roles.ts). */
export async function changeMemberRole({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; userId: string; role: Role }>): Promise<MemberView> {
  const input = parseInput(changeRoleInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const { userId: actorId } = requireUser(ctx);
  const actorRole = access.role as Role;
  // No self-promotion, no self-approval (architecture §3).
  if (input.userId === actorId) throw new ApiError("forbidden", "Nobody can change their own role");
  const current = await targetOf(ctx, access, input.userId);
  assertCanManage(actorRole, current);
  assertCanGrant(actorRole, input.role);
  if (current !== input.role) {
    await auditedControlChange(ctx, access, {
      apply: () => setRoleKeepingAnOwner(ctx, access.workspace.id, input.userId, input.role),
      undo: () => setRoleKeepingAnOwner(ctx, access.workspace.id, input.userId, current),
      event: () => ({
        action: "member.role_change",
        targetType: "user",
        targetId: input.userId,
        details: { from: current, to: input.role },
      }),
    });
    // A demoted member's issuers, endpoints, accounts and invitations stop where the new role
    // could not have made them, and their sockets (and their keys') reconnect with what it allows.
    if (!roleAtLeast(input.role, current)) {
      await memberAuthorityChanged(
        ctx,
        access,
        input.userId,
        input.role,
        `creator demoted from ${current} to ${input.role}`,
      );
    }
  }
  const [member] = (await listMembers({ ctx, input: { workspaceId: access.workspace.id } })).filter(
    (m) => m.userId === input.userId,
  );
  if (!member) throw new ApiError("not_found", "Member not found");
  return member;
}

/** Deletes a membership unless it is the last owner's (same single-statement guarantee). */
async function deleteKeepingAnOwner(ctx: ServiceContext, workspaceId: string, userId: string) {
  const result = await controlDb(ctx.config).$client.execute({
    sql: `DELETE FROM memberships WHERE workspace_id = ? AND user_id = ?
            AND (role != 'owner'
              OR (SELECT COUNT(*) FROM memberships WHERE workspace_id = ? AND role = 'owner') > 1)`,
    args: [workspaceId, userId, workspaceId],
  });
  if (result.rowsAffected !== 1) {
    throw new ApiError("conflict", "The last owner cannot leave; transfer ownership or delete the workspace");
  }
}

async function removeMembership(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  userId: string,
  role: Role,
  action: "member.remove" | "member.leave",
): Promise<void> {
  const db = controlDb(ctx.config);
  const [row] = await db
    .select()
    .from(memberships)
    .where(and(eq(memberships.workspaceId, access.workspace.id), eq(memberships.userId, userId)));
  if (!row) throw new ApiError("not_found", "Member not found");
  await auditedControlChange(ctx, access, {
    apply: () => deleteKeepingAnOwner(ctx, access.workspace.id, userId),
    undo: () => db.insert(memberships).values(row),
    event: () => ({ action, targetType: "user", targetId: userId, details: { role } }),
  });
  emitWebhookEvent(ctx, access.workspace.id, "member.removed", { userId, role, reason: action });
  // Their sockets, keys, issuers, endpoints, accounts and invitations answer to them: with no
  // role left here they stop now.
  await memberAuthorityChanged(
    ctx,
    access,
    userId,
    null,
    action === "member.leave" ? "creator left the workspace" : "creator was removed from the workspace",
  );
}

/** Removes another member (admins: members and viewers; owners: anyone but the last owner). */
export async function removeMember({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; userId: string }>): Promise<void> {
  const input = parseInput(memberTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const { userId: actorId } = requireUser(ctx);
  if (input.userId === actorId) throw new ApiError("invalid_request", "Use leave to remove yourself");
  const current = await targetOf(ctx, access, input.userId);
  assertCanManage(access.role as Role, current);
  await removeMembership(ctx, access, input.userId, current, "member.remove");
}

/** The signed-in user leaves the workspace (not the last owner). */
export async function leaveWorkspace({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<void> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, MEMBERS_NEEDS.list);
  const { userId } = requireUser(ctx);
  await removeMembership(ctx, access, userId, access.role as Role, "member.leave");
}
