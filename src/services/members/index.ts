export {
  acceptInvitation,
  describeInvitation,
  type InvitationDescription,
  invitationForSignup,
} from "./accept";
export {
  INVITATION_TTL_MS,
  type InvitationView,
  inviteMember,
  listInvitations,
  revokeInvitation,
} from "./invitations";
export { changeMemberRole, leaveWorkspace, listMembers, type MemberView, removeMember } from "./manage";
export { assertCanGrant, assertCanManage, canManage, grantableRoles } from "./roles";
export * from "./schemas";
