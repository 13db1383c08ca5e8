import { and, desc, eq, gt, isNull } from "drizzle-orm";
import type { z } from "zod";
import { controlDb } from "../../db/control/client";
import {
  type InvitableRole,
  type InvitationRow,
  invitations,
  memberships,
  users,
  workspaces,
} from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import { grantableRoles, type Role } from "../../lib/tenancy";
import { auditedControlChange } from "../audit/control";
import { authorizeWorkspace, membershipRole, requireUser, workspaceAccess } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { standingFor } from "../standing";
import { requireVerifiedEmail } from "../verified";
import { emitWebhookEvent } from "../webhooks";
import { deliverInvitation } from "./delivery";
import { assertCanGrant } from "./roles";
import type { Invitation } from "./schemas";
import {
  acceptInvitationInput,
  invitationTarget,
  inviteMemberInput,
  MEMBERS_NEEDS,
  workspaceScoped,
} from "./schemas";

/** Invitations are good for 7 days and one use; only their SHA-256 is stored. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

export type InvitationView = z.infer<typeof Invitation>;

const invitationView = (row: InvitationRow, now = Date.now()): InvitationView => ({
  id: row.id,
  email: row.email,
  role: row.role,
  invitedBy: row.invitedBy,
  createdAt: row.createdAt,
  expiresAt: row.expiresAt,
  status:
    row.acceptedAt !== null
      ? "accepted"
      : row.revokedAt !== null
        ? "revoked"
        : row.expiresAt <= now
          ? "expired"
          : "pending",
});

const manageNeed = MEMBERS_NEEDS.manage;

/**
 * Invites someone by email with a role the inviter may grant. A newer invitation for the same
 * address replaces the pending one. The token goes only to the invitee, by email; if the email
 * could not be handed to the mailer, outside production the token is returned to the inviter
 * (`token`) so local development keeps working — never in production.
 */
export async function inviteMember({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; email: string; role: InvitableRole }>): Promise<{
  invitation: InvitationView;
  delivered: boolean;
  token?: string;
}> {
  const input = parseInput(inviteMemberInput, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const { userId } = requireUser(ctx);
  await requireVerifiedEmail(ctx, userId);
  assertCanGrant(access.role as Role, input.role, { invitation: true });
  const email = input.email.trim().toLowerCase();
  const db = controlDb(ctx.config);
  const [existing] = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.workspaceId, access.workspace.id), eq(users.email, email)));
  if (existing) throw new ApiError("conflict", "That person is already a member");

  const token = randomToken(32);
  const now = Date.now();
  const row: InvitationRow = {
    id: newId("inv"),
    workspaceId: access.workspace.id,
    email,
    role: input.role,
    tokenHash: await sha256Hex(token),
    invitedBy: userId,
    createdAt: now,
    expiresAt: now + INVITATION_TTL_MS,
    acceptedAt: null,
    acceptedBy: null,
    revokedAt: null,
  };
  const pending = and(
    eq(invitations.workspaceId, access.workspace.id),
    eq(invitations.email, email),
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
  );
  const replaced = await db.select({ id: invitations.id }).from(invitations).where(pending);
  await auditedControlChange(ctx, access, {
    apply: () =>
      db.batch([
        db.update(invitations).set({ revokedAt: now }).where(pending),
        db.insert(invitations).values(row),
      ]),
    undo: () =>
      db.batch([
        db.delete(invitations).where(eq(invitations.id, row.id)),
        ...replaced.map((r) =>
          db.update(invitations).set({ revokedAt: null }).where(eq(invitations.id, r.id)),
        ),
      ]),
    event: () => ({
      action: "member.invite",
      targetType: "invitation",
      targetId: row.id,
      details: { email, role: input.role, replaces: replaced.map((r) => r.id) },
    }),
  });
  const delivered = await deliverInvitation(ctx, {
    to: email,
    token,
    workspace: access.workspace,
    role: input.role,
  });
  const showToken = !delivered && ctx.config.ENVIRONMENT !== "production";
  return { invitation: invitationView(row, now), delivered, ...(showToken ? { token } : {}) };
}

export async function listInvitations({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string }>): Promise<InvitationView[]> {
  const input = parseInput(workspaceScoped, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const rows = await controlDb(ctx.config)
    .select()
    .from(invitations)
    .where(eq(invitations.workspaceId, access.workspace.id))
    .orderBy(desc(invitations.createdAt));
  const now = Date.now();
  return rows.map((r) => invitationView(r, now));
}

export async function revokeInvitation({
  ctx,
  input: raw,
}: ServiceArgs<{ workspaceId: string; invitationId: string }>): Promise<InvitationView> {
  const input = parseInput(invitationTarget, raw);
  const access = await authorizeWorkspace(ctx, input.workspaceId, manageNeed);
  const db = controlDb(ctx.config);
  const byId = and(eq(invitations.id, input.invitationId), eq(invitations.workspaceId, access.workspace.id));
  const [row] = await db.select().from(invitations).where(byId);
  if (!row) throw new ApiError("not_found", "Invitation not found");
  if (row.acceptedAt !== null || row.revokedAt !== null) return invitationView(row);
  const now = Date.now();
  await auditedControlChange(ctx, access, {
    apply: () =>
      db
        .update(invitations)
        .set({ revokedAt: now })
        .where(and(byId, isNull(invitations.acceptedAt))),
    undo: () => db.update(invitations).set({ revokedAt: null }).where(byId),
    event: () => ({
      action: "invitation.revoke",
      targetType: "invitation",
      targetId: row.id,
      details: { email: row.email },
    }),
  });
  return invitationView({ ...row, revokedAt: now }, now);
}

/**
 * An invitation grants what its inviter may grant when it is accepted, not when it was sent
 * (architecture §3): an inviter since removed, demoted, deleted or taken over grants nothing.
 */
async function assertInviterMayStillGrant(ctx: ServiceContext, invitation: InvitationRow): Promise<void> {
  const arrangement = { createdBy: invitation.invitedBy, since: invitation.createdAt };
  const inviter = await standingFor(ctx, invitation.workspaceId, arrangement, manageNeed);
  const role = inviter.ok ? await membershipRole(ctx, invitation.workspaceId, invitation.invitedBy) : null;
  if (role === null || !grantableRoles(role, { invitation: true }).includes(invitation.role)) {
    throw new ApiError(
      "gone",
      "This invitation is no longer valid: the person who sent it can no longer grant this role",
    );
  }
}

/**
 * Accepts an invitation as the signed-in user. Only the person it was addressed to may accept
 * it (their verified email must match); it works once, within 7 days.
 */
export async function acceptInvitation({
  ctx,
  input: raw,
}: ServiceArgs<{ token: string }>): Promise<{ workspaceId: string; role: InvitableRole }> {
  const input = parseInput(acceptInvitationInput, raw);
  const { userId } = requireUser(ctx);
  const db = controlDb(ctx.config);
  const [invitation] = await db
    .select()
    .from(invitations)
    .where(eq(invitations.tokenHash, await sha256Hex(input.token)));
  if (!invitation) throw new ApiError("not_found", "Invitation not found");
  const now = Date.now();
  if (invitation.acceptedAt !== null || invitation.revokedAt !== null || invitation.expiresAt <= now) {
    throw new ApiError("gone", "This invitation has expired or was already used");
  }
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (!user || user.deletedAt !== null) throw new ApiError("unauthorized", "Authentication required");
  // Nobody accepts an invitation addressed to someone else (the token alone is not enough).
  if (user.email.toLowerCase() !== invitation.email.toLowerCase()) {
    throw new ApiError("forbidden", "This invitation was sent to a different email address");
  }
  await requireVerifiedEmail(ctx, userId);
  const [workspace] = await db.select().from(workspaces).where(eq(workspaces.id, invitation.workspaceId));
  if (workspace?.status !== "active") throw new ApiError("gone", "The workspace no longer exists");
  if (await membershipRole(ctx, workspace.id, userId))
    throw new ApiError("conflict", "You are already a member");
  await assertInviterMayStillGrant(ctx, invitation);

  const access = workspaceAccess(ctx, workspace, null);
  await auditedControlChange(ctx, access, {
    apply: async () => {
      // Single use even under concurrent accepts: only the update that claims it inserts.
      const [claimed] = await db
        .update(invitations)
        .set({ acceptedAt: now, acceptedBy: userId })
        .where(
          and(
            eq(invitations.id, invitation.id),
            isNull(invitations.acceptedAt),
            isNull(invitations.revokedAt),
            gt(invitations.expiresAt, now),
          ),
        )
        .returning({ id: invitations.id });
      if (!claimed) throw new ApiError("gone", "This invitation has expired or was already used");
      try {
        await db
          .insert(memberships)
          .values({ workspaceId: workspace.id, userId, role: invitation.role, createdAt: now });
      } catch (error) {
        await db
          .update(invitations)
          .set({ acceptedAt: null, acceptedBy: null })
          .where(eq(invitations.id, invitation.id));
        if (sqliteConstraint(error)?.kind === "unique")
          throw new ApiError("conflict", "You are already a member");
        throw error;
      }
    },
    undo: () =>
      db.batch([
        db
          .delete(memberships)
          .where(and(eq(memberships.workspaceId, workspace.id), eq(memberships.userId, userId))),
        db
          .update(invitations)
          .set({ acceptedAt: null, acceptedBy: null })
          .where(eq(invitations.id, invitation.id)),
      ]),
    event: () => ({
      action: "member.join",
      targetType: "user",
      targetId: userId,
      details: { invitationId: invitation.id, role: invitation.role, invitedBy: invitation.invitedBy },
    }),
  });
  emitWebhookEvent(ctx, workspace.id, "member.added", { userId, role: invitation.role });
  return { workspaceId: workspace.id, role: invitation.role };
}
