// Authority over time (architecture §3): a credential stops the moment its creator could no longer
// have made it. Two rules live here: an account that has not proved it owns its address may not
// create credentials, and an unverified account that is taken over by the address's real owner
// loses everything it created.
import { and, eq, gt, isNull, or } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { apiKeys, invitations, memberships } from "../../db/control/schema";
import { auditedRevocation } from "../audit/control";
import type { WorkspaceAccess } from "../core/access";
import type { ServiceContext } from "../core/context";
import { revokeKeysWhere } from "../keys/revoke";
import { endArrangementsOf } from "../standing";
import { accessTo, disableIssuersCreatedBy } from "./issuers";
import { memberAuthorityChanged } from "./member";

export { requireVerifiedActor, requireVerifiedEmail } from "../verified";
export { disableIssuersCreatedBy } from "./issuers";
export { memberAuthorityChanged, revokeInvitationsBeyond } from "./member";

/**
 * The real owner of an address claimed an account someone else signed up with and never
 * verified (OIDC sign-in or a password reset). Whatever that account created may be the
 * squatter's: every key it made is revoked, every issuer disabled, every webhook endpoint and API
 * account it (or its keys) set up disabled, every pending invitation it sent revoked, and every
 * membership that came from its invitations removed — each audited in its workspace's log. The
 * account keeps its own memberships: they are now the real owner's.
 */
export async function revokeSquattedAuthority(ctx: ServiceContext, userId: string): Promise<void> {
  const reason = "unverified account taken over by the address's owner";
  const db = controlDb(ctx.config);
  const now = Date.now();
  const keyWorkspaces = await db
    .selectDistinct({ workspaceId: apiKeys.workspaceId })
    .from(apiKeys)
    .where(and(eq(apiKeys.createdBy, userId), or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, now))));
  for (const { workspaceId } of keyWorkspaces) {
    const access = await accessTo(ctx, workspaceId);
    if (access) await revokeKeysWhere(ctx, access, eq(apiKeys.createdBy, userId), reason);
  }
  await disableIssuersCreatedBy(ctx, userId, reason);

  // Endpoints and accounts need a membership: they live in the workspaces the account is in.
  const memberOf = await db
    .select({ workspaceId: memberships.workspaceId })
    .from(memberships)
    .where(eq(memberships.userId, userId));
  for (const { workspaceId } of memberOf) {
    const access = await accessTo(ctx, workspaceId);
    if (!access) continue;
    const keys = await db
      .select({ id: apiKeys.id })
      .from(apiKeys)
      .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.createdBy, userId)));
    await endArrangementsOf(ctx, access, [userId, ...keys.map((k) => k.id)], reason);
  }

  const sent = await db.select().from(invitations).where(eq(invitations.invitedBy, userId));
  for (const invitation of sent) {
    const access = await accessTo(ctx, invitation.workspaceId);
    if (!access) continue;
    if (invitation.acceptedAt === null && invitation.revokedAt === null) {
      await auditedRevocation(
        ctx,
        access,
        () => db.update(invitations).set({ revokedAt: now }).where(eq(invitations.id, invitation.id)),
        () => ({
          action: "invitation.revoke",
          targetType: "invitation",
          targetId: invitation.id,
          details: { reason },
        }),
      );
    } else if (invitation.acceptedBy !== null && invitation.acceptedBy !== userId) {
      await removeInvitedMember(ctx, access, invitation.acceptedBy, reason);
    }
  }
}

async function removeInvitedMember(
  ctx: ServiceContext,
  access: WorkspaceAccess,
  userId: string,
  reason: string,
): Promise<void> {
  const db = controlDb(ctx.config);
  const where = and(eq(memberships.workspaceId, access.workspace.id), eq(memberships.userId, userId));
  const [row] = await db.select({ role: memberships.role }).from(memberships).where(where);
  // An invitation never grants owner; an owner now holds that role by another owner's own act.
  if (!row || row.role === "owner") return;
  await auditedRevocation(
    ctx,
    access,
    () => db.delete(memberships).where(where),
    () => ({
      action: "member.remove",
      targetType: "user",
      targetId: userId,
      details: { role: row.role, reason },
    }),
  );
  await memberAuthorityChanged(ctx, access, userId, null, reason);
}
