import { and, desc, eq, isNull } from "drizzle-orm";
import type { z } from "zod";
import { controlDb } from "../../db/control/client";
import {
  type InvitableRole,
  type InvitationRow,
  invitations,
  memberships,
  users,
} from "../../db/control/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { newId } from "../../lib/ids";
import type { Role } from "../../lib/tenancy";
import { auditedControlChange } from "../audit/control";
import { authorizeWorkspace, requireUser } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { requireVerifiedEmail } from "../verified";
import { deliverInvitation } from "./delivery";
import { assertCanGrant } from "./roles";
import type { Invitation } from "./schemas";
import { invitationTarget, inviteMemberInput, MEMBERS_NEEDS, workspaceScoped } from "./schemas";

/** Invitations are good for 7 days and one use; only their SHA-256 is stored. */
export const INVITATION_TTL_MS = 7 * 86_400_000;

export type InvitationView = z.infer<typeof Invitation>;

export const invitationView = (row: InvitationRow, now = Date.now()): InvitationView => ({
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

export const manageNeed = MEMBERS_NEEDS.manage;

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
  /** The pending invitation this one replaced (now revoked), so the inviter hears of a role change. */
  replaces?: { id: string; role: InvitableRole };
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
    mailedAt: null,
  };
  const pending = and(
    eq(invitations.workspaceId, access.workspace.id),
    eq(invitations.email, email),
    isNull(invitations.acceptedAt),
    isNull(invitations.revokedAt),
  );
  const replaced = await db
    .select({ id: invitations.id, role: invitations.role, createdAt: invitations.createdAt })
    .from(invitations)
    .where(pending)
    .orderBy(desc(invitations.createdAt));
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
  // Only a token that went to the invitee's mailbox alone proves that mailbox when it comes back.
  if (delivered) await db.update(invitations).set({ mailedAt: Date.now() }).where(eq(invitations.id, row.id));
  const showToken = !delivered && ctx.config.ENVIRONMENT !== "production";
  const previous = replaced[0];
  return {
    invitation: invitationView(row, now),
    delivered,
    ...(showToken ? { token } : {}),
    ...(previous ? { replaces: { id: previous.id, role: previous.role } } : {}),
  };
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
