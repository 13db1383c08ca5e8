import type { InvitableRole, WorkspaceRow } from "../../db/control/schema";
import type { ServiceContext } from "../core/context";
import { mailerFor } from "../mail";

/** Workspace names are user text: one line, bounded, so they cannot reshape the email. */
const oneLine = (text: string) => text.replace(/[\r\n\t\u2028\u2029]+/g, " ").slice(0, 100);

/**
 * Emails an invitation's token to the invitee through the Mailer (dev outbox or provider).
 * Returns whether it was handed over; failures are logged, never thrown — the invitation exists
 * and the inviter can send it again (a new invitation replaces the old). The token is never logged.
 */
export async function deliverInvitation(
  ctx: ServiceContext,
  invitation: { to: string; token: string; workspace: WorkspaceRow; role: InvitableRole },
): Promise<boolean> {
  const base = ctx.config.PUBLIC_URL.replace(/\/+$/, "");
  const name = oneLine(invitation.workspace.name);
  try {
    await mailerFor(ctx).send({
      to: invitation.to,
      tag: "workspace_invitation",
      subject: `You are invited to ${name} on islet`,
      text:
        `You have been invited to join the workspace "${name}" on islet as ${invitation.role}.\n\n` +
        `Open this link to accept; it lets you sign in, or create an account with this address:\n` +
        `${base}/invitations/accept?token=${invitation.token}\n\n` +
        `Invitation token: ${invitation.token}\n\n` +
        "The invitation works once and expires in 7 days. If you did not expect it, ignore this email.\n",
    });
    return true;
  } catch (error) {
    ctx.logger.error("invitation email not delivered", {
      workspaceId: invitation.workspace.id,
      error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
}
