export {
  acceptInvitation,
  INVITATION_TTL_MS,
  type InvitationView,
  inviteMember,
  listInvitations,
  revokeInvitation,
} from "./invitations";
export { changeMemberRole, leaveWorkspace, listMembers, type MemberView, removeMember } from "./manage";
export { assertCanGrant, assertCanManage, canManage, grantableRoles } from "./roles";
export * from "./schemas";
