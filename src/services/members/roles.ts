import { ApiError } from "../../lib/errors";
import { grantableRoles, type Role } from "../../lib/tenancy";

/*
 * Who may do what to whom (architecture §3: owner > admin > member > viewer). Decisions:
 * - Members are managed (role changed, removed, invited) by admins and owners only.
 * - Owners manage everyone. Admins manage only members and viewers — never another admin or an
 *   owner — so an admin can neither demote their peers nor lock the owners out.
 * - Only an owner grants `owner` or `admin`; admins grant `member` or `viewer`. An invitation
 *   never carries `owner`: ownership goes to someone already in the workspace (role change or
 *   transfer).
 * - Nobody changes their own role (no self-promotion, no self-approval); leaving is separate.
 * - The last owner can be neither demoted nor removed, nor leave: a workspace always has an owner.
 */

export { grantableRoles };

/** Whether `actor` may change or remove a member who currently holds `target`. */
export const canManage = (actor: Role, target: Role) =>
  actor === "owner" || (actor === "admin" && (target === "member" || target === "viewer"));

export function assertCanGrant(actor: Role, role: Role, opts: { invitation?: boolean } = {}): void {
  if (!grantableRoles(actor, opts).includes(role)) {
    throw new ApiError("forbidden", `The ${actor} role cannot grant the ${role} role`, {
      details: { role, grantable: grantableRoles(actor, opts) },
    });
  }
}

export function assertCanManage(actor: Role, target: Role): void {
  if (!canManage(actor, target)) {
    throw new ApiError("forbidden", `The ${actor} role cannot manage a member whose role is ${target}`, {
      details: { role: actor, target },
    });
  }
}
