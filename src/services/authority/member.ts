import { and, eq, gt, isNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys, invitations } from "../../db/control/schema";
import { roleAtLeast } from "../../lib/scopes";
import { grantableRoles, type Role } from "../../lib/tenancy";
import { auditedRevocation } from "../audit/control";
import type { WorkspaceAccess } from "../core/access";
import type { ServiceContext } from "../core/context";
import { closeUserSockets } from "../hub";
import { revokeKeysWhere } from "../keys/revoke";
import { endArrangementsOf } from "../standing";
import { disableIssuersCreatedBy } from "./issuers";

/**
 * Revokes the pending invitations a member sent that their role (now `role`, or none) could no
 * longer send: an invitation grants what its inviter may grant at the moment it is accepted, so
 * one left behind by a removed or demoted inviter is not a way back in (architecture §3).
 */
export async function revokeInvitationsBeyond(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  inviterId: string,
  role: Role | null,
  reason: string,
): Promise<void> {
  const db = controlDb(ctx.config);
  const grantable = role === null ? [] : grantableRoles(role, { invitation: true });
  const pending = await db
    .select()
    .from(invitations)
    .where(
      and(
        eq(invitations.workspaceId, access.workspace.id),
        eq(invitations.invitedBy, inviterId),
        isNull(invitations.acceptedAt),
        isNull(invitations.revokedAt),
        gt(invitations.expiresAt, Date.now()),
      ),
    );
  for (const invitation of pending.filter((i) => !grantable.includes(i.role))) {
    await auditedRevocation(
      ctx,
      access,
      () =>
        db
          .update(invitations)
          .set({ revokedAt: Date.now() })
          .where(and(eq(invitations.id, invitation.id), isNull(invitations.acceptedAt))),
      () => ({
        action: "invitation.revoke",
        targetType: "invitation",
        targetId: invitation.id,
        details: { email: invitation.email, role: invitation.role, reason },
      }),
    );
  }
}

/**
 * A member's authority in a workspace shrank (`role`, a demotion) or ended (`null`: removed, left,
 * their account deleted or taken over). Everything they set up that needs more than they now hold
 * stops, each audited with the reason (architecture §3, "authority over time"):
 * - gone: every key they made (and the keys those minted) is revoked;
 * - below admin (or gone): their issuers are disabled, and the webhook endpoints and API accounts
 *   that they or their keys set up are disabled (both need the admin role);
 * - pending invitations they sent that they could no longer send are revoked;
 * - their sockets close, to reconnect with what they now hold.
 * Every delivery, account call and invitation acceptance checks its creator again regardless.
 */
export async function memberAuthorityChanged(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  userId: string,
  role: Role | null,
  reason: string,
): Promise<void> {
  const workspaceId = access.workspace.id;
  if (role === null) await revokeKeysWhere(ctx, access, eq(apiKeys.createdBy, userId), reason);
  if (role === null || !roleAtLeast(role, "admin")) {
    await disableIssuersCreatedBy(ctx, userId, reason, workspaceId);
    const keys = await controlDb(ctx.config)
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.createdBy, userId)));
    await endArrangementsOf(ctx, access, [userId, ...keys.map((k) => k.id)], reason);
  }
  await revokeInvitationsBeyond(ctx, access, userId, role, reason);
  await closeUserSockets(ctx, workspaceId, userId, role === null ? "no longer a member" : "role changed");
}
