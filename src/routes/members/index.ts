import { Hono } from "hono";
import { z } from "zod";
import { ROLES } from "../../lib/tenancy";
import { validate } from "../../lib/validate";
import {
  changeMemberRole,
  inviteMember,
  leaveWorkspace,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
} from "../../services/members";
import type { AppEnv } from "../../types";
import { workspaceIdOf } from "../workspaces/param";

const inviteBody = z.strictObject({
  email: z.email().max(254),
  role: z.enum(["admin", "member", "viewer"]),
});
const roleBody = z.strictObject({ role: z.enum(ROLES) });
const userParam = z.object({ userId: z.string().regex(/^usr_[0-9a-z]{26}$/) });
const invitationParam = z.object({ invitationId: z.string().regex(/^inv_[0-9a-z]{26}$/) });

/** Members and invitations of a workspace (DESIGN §3), under /v1/workspaces/:workspaceId/members. */
export const membersRoutes = new Hono<AppEnv>()
  .get("/", async (c) =>
    c.json({
      members: await listMembers({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } }),
    }),
  )
  .post("/invitations", validate("json", inviteBody), async (c) => {
    const result = await inviteMember({
      ctx: c.var.ctx,
      input: { ...c.req.valid("json"), workspaceId: workspaceIdOf(c) },
    });
    c.header("Cache-Control", "no-store");
    return c.json(result, 201);
  })
  .get("/invitations", async (c) => {
    const invitations = await listInvitations({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c) },
    });
    return c.json({ invitations });
  })
  .delete("/invitations/:invitationId", validate("param", invitationParam), async (c) => {
    const input = { workspaceId: workspaceIdOf(c), invitationId: c.req.valid("param").invitationId };
    return c.json({ invitation: await revokeInvitation({ ctx: c.var.ctx, input }) });
  })
  .post("/leave", async (c) => {
    await leaveWorkspace({ ctx: c.var.ctx, input: { workspaceId: workspaceIdOf(c) } });
    return c.body(null, 204);
  })
  .patch("/:userId", validate("param", userParam), validate("json", roleBody), async (c) => {
    const input = { workspaceId: workspaceIdOf(c), ...c.req.valid("param"), ...c.req.valid("json") };
    return c.json({ member: await changeMemberRole({ ctx: c.var.ctx, input }) });
  })
  .delete("/:userId", validate("param", userParam), async (c) => {
    await removeMember({
      ctx: c.var.ctx,
      input: { workspaceId: workspaceIdOf(c), ...c.req.valid("param") },
    });
    return c.body(null, 204);
  });
