import { z } from "@hono/zod-openapi";
import { json, jsonBody, named, noContent, operation, router, securityOf } from "../../http/openapi";
import { workspaceParam } from "../../http/params";
import {
  changeMemberRole,
  changeRoleBody,
  Invitation as InvitationSchema,
  InvitationSent,
  invitationId,
  inviteMember,
  inviteMemberBody,
  leaveWorkspace,
  listInvitations,
  listMembers,
  MEMBERS_NEEDS,
  Member as MemberSchema,
  removeMember,
  revokeInvitation,
  userId,
} from "../../services/members";

const Member = named(MemberSchema, "Member");
const Invitation = named(InvitationSchema, "Invitation");
const memberParam = workspaceParam.extend({ userId });
const tags = ["Members"];
const security = securityOf(MEMBERS_NEEDS.manage);

/** Members and invitations of a workspace (architecture §3), under /v1/workspaces/:workspaceId/members. */
export const membersRoutes = router()
  .openapi(
    operation({
      operationId: "listMembers",
      method: "get",
      path: "/",
      tags,
      security,
      summary: "List members",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ members: z.array(Member) }), "Members") },
    }),
    async (c) => c.json({ members: await listMembers({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "inviteMember",
      method: "post",
      path: "/invitations",
      idempotency: { shownOnce: ["token"] },
      tags,
      security,
      summary: "Invite someone by email",
      request: {
        params: workspaceParam,
        body: jsonBody(inviteMemberBody, true, { email: "grace@example.com", role: "member" }),
      },
      responses: {
        201: json(named(InvitationSent.extend({ invitation: Invitation }), "InvitationSent"), "Sent"),
      },
      errors: [409],
    }),
    async (c) => {
      const input = { ...c.req.valid("json"), ...c.req.valid("param") };
      const result = await inviteMember({ ctx: c.var.ctx, input });
      c.header("Cache-Control", "no-store");
      return c.json(result, 201);
    },
  )
  .openapi(
    operation({
      operationId: "listInvitations",
      method: "get",
      path: "/invitations",
      tags,
      security,
      summary: "List invitations",
      request: { params: workspaceParam },
      responses: { 200: json(z.object({ invitations: z.array(Invitation) }), "Invitations") },
    }),
    async (c) =>
      c.json({ invitations: await listInvitations({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "revokeInvitation",
      method: "delete",
      path: "/invitations/{invitationId}",
      tags,
      security,
      summary: "Revoke a pending invitation",
      request: { params: workspaceParam.extend({ invitationId }) },
      responses: { 200: json(z.object({ invitation: Invitation }), "The revoked invitation") },
      errors: [409],
    }),
    async (c) =>
      c.json({ invitation: await revokeInvitation({ ctx: c.var.ctx, input: c.req.valid("param") }) }, 200),
  )
  .openapi(
    operation({
      operationId: "leaveWorkspace",
      method: "post",
      path: "/leave",
      // After leaving, the caller can no longer read the workspace's database.
      idempotency: { store: "control" },
      tags,
      security,
      summary: "Leave the workspace",
      request: { params: workspaceParam },
      responses: { 204: noContent("Left") },
      errors: [409],
    }),
    async (c) => {
      await leaveWorkspace({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  )
  .openapi(
    operation({
      operationId: "changeMemberRole",
      method: "patch",
      path: "/{userId}",
      tags,
      security,
      summary: "Change a member's role",
      request: { params: memberParam, body: jsonBody(changeRoleBody) },
      responses: { 200: json(z.object({ member: Member }), "The member") },
      errors: [409],
    }),
    async (c) => {
      const input = { ...c.req.valid("param"), ...c.req.valid("json") };
      return c.json({ member: await changeMemberRole({ ctx: c.var.ctx, input }) }, 200);
    },
  )
  .openapi(
    operation({
      operationId: "removeMember",
      method: "delete",
      path: "/{userId}",
      tags,
      security,
      summary: "Remove a member (their keys and issuers stop with them)",
      request: { params: memberParam },
      responses: { 204: noContent("Removed") },
      errors: [409],
    }),
    async (c) => {
      await removeMember({ ctx: c.var.ctx, input: c.req.valid("param") });
      return c.body(null, 204);
    },
  );
