// Accepting an invitation, and what its link shows before that: the person holding the link is the
// person it was mailed to, so accepting verifies that address; the inviter's authority is checked
// again at acceptance (architecture §3).
import { and, eq, gt, isNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import {
  type InvitableRole,
  type InvitationRow,
  invitations,
  memberships,
  users,
  type WorkspaceRow,
  workspaces,
} from "../../db/control/schema";
import { sqliteConstraint } from "../../db/errors";
import { sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import { grantableRoles } from "../../lib/tenancy";
import { auditedControlChange } from "../audit/control";
import { membershipRole, requireUser, workspaceAccess } from "../core/access";
import { parseInput, type ServiceArgs, type ServiceContext } from "../core/context";
import { recordSecurityEvent } from "../security-log/record";
import { standingFor } from "../standing";
import { requireVerifiedEmail } from "../verified";
import { emitWebhookEvent } from "../webhooks";
import { type InvitationView, invitationView, manageNeed } from "./invitations";
import { acceptInvitationInput } from "./schemas";

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

/** The invitation a token names, or 404; the token is the capability, only its hash is looked up. */
async function invitationByToken(ctx: ServiceContext, token: string): Promise<InvitationRow> {
  const [invitation] = await controlDb(ctx.config)
    .select()
    .from(invitations)
    .where(eq(invitations.tokenHash, await sha256Hex(token)));
  if (!invitation) throw new ApiError("not_found", "Invitation not found");
  return invitation;
}

/**
 * Everything that must hold for an invitation to be accepted by the owner of `email`, checked
 * before anything is written: still pending, addressed to that email, an active workspace, and an
 * inviter who may still grant the role (architecture §3: authority is checked when it is used).
 */
async function assertAcceptable(
  ctx: ServiceContext,
  invitation: InvitationRow,
  email: string,
): Promise<WorkspaceRow> {
  if (invitation.acceptedAt !== null || invitation.revokedAt !== null || invitation.expiresAt <= Date.now()) {
    throw new ApiError("gone", "This invitation has expired or was already used");
  }
  // Nobody accepts an invitation addressed to someone else (the token alone is not enough).
  if (email.toLowerCase() !== invitation.email.toLowerCase()) {
    throw new ApiError("forbidden", "This invitation was sent to a different email address", {
      details: { field: "email" },
    });
  }
  const [workspace] = await controlDb(ctx.config)
    .select()
    .from(workspaces)
    .where(eq(workspaces.id, invitation.workspaceId));
  if (workspace?.status !== "active") throw new ApiError("gone", "The workspace no longer exists");
  await assertInviterMayStillGrant(ctx, invitation);
  return workspace;
}

/** What the invitation page shows the person holding the link: who invites them where, as what. */
export async function describeInvitation({
  ctx,
  input: raw,
}: ServiceArgs<{ token: string }>): Promise<InvitationDescription> {
  const input = parseInput(acceptInvitationInput, raw);
  const invitation = await invitationByToken(ctx, input.token);
  const db = controlDb(ctx.config);
  const [[workspace], [inviter]] = await Promise.all([
    db.select({ name: workspaces.name }).from(workspaces).where(eq(workspaces.id, invitation.workspaceId)),
    db.select({ name: users.name, email: users.email }).from(users).where(eq(users.id, invitation.invitedBy)),
  ]);
  const [account] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.email, invitation.email), isNull(users.deletedAt)));
  return {
    workspaceName: workspace?.name ?? "a workspace that no longer exists",
    inviterName: inviter?.name ?? null,
    inviterEmail: inviter?.email ?? null,
    email: invitation.email,
    role: invitation.role,
    expiresAt: invitation.expiresAt,
    status: invitationView(invitation).status,
    hasAccount: account !== undefined,
  };
}

export interface InvitationDescription {
  workspaceName: string;
  inviterName: string | null;
  inviterEmail: string | null;
  /** The invited address: the link went there, so its holder may see it. */
  email: string;
  role: InvitableRole;
  expiresAt: number;
  status: InvitationView["status"];
  /** Whether an account with the invited address exists (sign in rather than sign up). */
  hasAccount: boolean;
}

/**
 * Checks an invitation for a sign-up with `email` (auth's signup verb, before it creates the
 * account): the same rules as accepting. Returns whether the token proves the mailbox, so the new
 * account starts verified and no second email is sent.
 */
export async function invitationForSignup(
  ctx: ServiceContext,
  token: string,
  email: string,
): Promise<{ provesMailbox: boolean }> {
  const invitation = await invitationByToken(ctx, parseInput(acceptInvitationInput, { token }).token);
  await assertAcceptable(ctx, invitation, email);
  return { provesMailbox: invitation.mailedAt !== null };
}

/**
 * Accepts an invitation as the signed-in user. Only the person it was addressed to may accept it;
 * it works once, within 7 days. An unverified address is verified by the acceptance when the token
 * was mailed to it (the link proved the mailbox: the same proof as the verification email);
 * otherwise the address must be verified first.
 */
export async function acceptInvitation({
  ctx,
  input: raw,
}: ServiceArgs<{ token: string }>): Promise<{ workspaceId: string; role: InvitableRole }> {
  const input = parseInput(acceptInvitationInput, raw);
  const { userId } = requireUser(ctx);
  const db = controlDb(ctx.config);
  const invitation = await invitationByToken(ctx, input.token);
  const now = Date.now();
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (!user || user.deletedAt !== null) throw new ApiError("unauthorized", "Authentication required");
  const workspace = await assertAcceptable(ctx, invitation, user.email);
  const verifies = user.emailVerifiedAt === null && invitation.mailedAt !== null;
  if (!verifies) await requireVerifiedEmail(ctx, userId);
  if (await membershipRole(ctx, workspace.id, userId))
    throw new ApiError("conflict", "You are already a member");

  const access = workspaceAccess(ctx, workspace, null);
  const unverify = () =>
    db
      .update(users)
      .set({ emailVerifiedAt: null })
      .where(and(eq(users.id, userId), eq(users.emailVerifiedAt, now)));
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
        await db.batch([
          db
            .insert(memberships)
            .values({ workspaceId: workspace.id, userId, role: invitation.role, createdAt: now }),
          // Only the address the token was mailed to, and only if nothing verified it meanwhile.
          ...(verifies
            ? [
                db
                  .update(users)
                  .set({ emailVerifiedAt: now })
                  .where(
                    and(
                      eq(users.id, userId),
                      eq(users.email, invitation.email),
                      isNull(users.emailVerifiedAt),
                    ),
                  ),
              ]
            : []),
        ]);
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
        unverify(),
      ]),
    event: () => ({
      action: "member.join",
      targetType: "user",
      targetId: userId,
      details: {
        invitationId: invitation.id,
        role: invitation.role,
        invitedBy: invitation.invitedBy,
        emailVerified: verifies,
      },
    }),
  });
  if (verifies) {
    await recordSecurityEvent(ctx, {
      action: "auth.email_verified",
      subjectUserId: userId,
      details: { via: "invitation", invitationId: invitation.id },
    });
  }
  emitWebhookEvent(ctx, workspace.id, "member.added", { userId, role: invitation.role });
  return { workspaceId: workspace.id, role: invitation.role };
}
