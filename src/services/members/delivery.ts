import type { WorkspaceRow } from "../../db/control/schema";
import type { ServiceContext } from "../../types";
import type { InvitableRole } from "../workspaces/tables";

/**
 * Sends an invitation's token to the invitee. Returns whether it was delivered. Until the
 * Mailer (src/services/mail) is wired in, nothing is sent: the caller then returns the token to
 * the inviter outside production only. The token is never logged.
 */
export async function deliverInvitation(
  ctx: ServiceContext,
  invitation: { to: string; token: string; workspace: WorkspaceRow; role: InvitableRole },
): Promise<boolean> {
  ctx.logger.info("invitation created; no mailer configured, not emailed", {
    workspaceId: invitation.workspace.id,
    role: invitation.role,
  });
  return false;
}
