import { z } from "zod";
import { INVITABLE_ROLES, ROLES } from "../../lib/tenancy";
import type { WorkspaceNeed } from "../core/access";
import { epochMs, idOf, workspaceScoped } from "../core/schemas";

/** Membership is for people: API keys and end-user tokens never list or change it. */
export const MEMBERS_NEEDS = {
  list: { role: "viewer", usersOnly: true },
  manage: { role: "admin", usersOnly: true },
} as const satisfies Record<string, WorkspaceNeed>;

export { workspaceScoped } from "../core/schemas";

export const userId = idOf("user", "a user id");
export const invitationId = idOf("invitation", "an invitation id");

export const inviteMemberBody = z.strictObject({ email: z.email().max(254), role: z.enum(INVITABLE_ROLES) });
export const inviteMemberInput = inviteMemberBody.extend(workspaceScoped.shape);
export const changeRoleBody = z.strictObject({ role: z.enum(ROLES) });
export const memberTarget = workspaceScoped.extend({ userId });
export const changeRoleInput = memberTarget.extend(changeRoleBody.shape);
export const invitationTarget = workspaceScoped.extend({ invitationId });
export const acceptInvitationInput = z.strictObject({
  token: z.string().regex(/^[0-9a-f]{64}$/, "must be an invitation token"),
});

export const Member = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string().nullable(),
  role: z.enum(ROLES),
  joinedAt: epochMs,
});
export const Invitation = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(INVITABLE_ROLES),
  invitedBy: z.string(),
  createdAt: epochMs,
  expiresAt: epochMs,
  status: z.enum(["pending", "accepted", "revoked", "expired"]),
});
export const InvitationSent = z.object({
  invitation: Invitation,
  /** Whether the email went out; if not, `token` is returned so the inviter can pass it on. */
  delivered: z.boolean(),
  token: z.string().optional(),
  /** The pending invitation to the same address that this one replaced (now revoked), and its role. */
  replaces: z.object({ id: z.string(), role: z.enum(INVITABLE_ROLES) }).optional(),
});
export const Joined = z.object({ workspaceId: z.string(), role: z.enum(INVITABLE_ROLES) });
