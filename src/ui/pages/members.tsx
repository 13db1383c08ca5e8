// Members and invitations: roles changed within what the viewer may grant, removal, invitations
// sent (or the link to pass on when the email could not go out, revealed once through the flash
// of the redirect) and revoked.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { parseForm } from "../../http/form";
import { INVITABLE_ROLES, ROLES } from "../../lib/tenancy";
import { roleMeets } from "../../services/core/access";
import {
  changeMemberRole,
  changeRoleInput,
  grantableRoles,
  inviteMember,
  inviteMemberInput,
  listInvitations,
  listMembers,
  MEMBERS_NEEDS,
  removeMember,
  revokeInvitation,
} from "../../services/members";
import { redirectWithFlash } from "../flash";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf, signedIn } from "../session";

async function membersPage(c: PageContext, state: { error?: unknown } = {}) {
  const workspace = await currentWorkspace(c);
  const [members, invitations] = await Promise.all([
    listMembers({ ctx: c.var.ctx, input: { workspaceId: workspace.id } }),
    roleMeets(workspace.role, MEMBERS_NEEDS.manage)
      ? listInvitations({ ctx: c.var.ctx, input: { workspaceId: workspace.id } })
      : Promise.resolve([]),
  ]);
  const me = signedIn(c)?.userId;
  const grantable = workspace.role ? grantableRoles(workspace.role) : [];
  return render(
    c,
    { title: "Members", workspace: navOf(workspace), section: "members", status: state.error ? 400 : 200 },
    <>
      <h1>Members</h1>
      <ErrorBox error={state.error} />
      <DataTable
        items={members}
        columns={[
          { header: "Email", cell: (m) => m.email },
          { header: "Name", cell: (m) => m.name ?? "" },
          {
            header: "Role",
            cell: (m) =>
              m.userId !== me && m.role !== "owner" && grantable.length > 0 ? (
                <PostForm c={c} action={wsPath(c, `/members/${m.userId}/role`)} class="inline">
                  <select name="role" aria-label={`Role of ${m.email}`}>
                    {ROLES.filter((r) => r !== "owner").map((r) => (
                      <option value={r} selected={r === m.role} disabled={!grantable.includes(r as never)}>
                        {r}
                      </option>
                    ))}
                  </select>{" "}
                  <button type="submit" class="secondary">
                    Change
                  </button>
                </PostForm>
              ) : (
                m.role
              ),
          },
          { header: "Joined", cell: (m) => when(m.joinedAt) },
          {
            header: "",
            cell: (m) =>
              m.userId !== me && m.role !== "owner" && grantable.length > 0 ? (
                <ActionButton c={c} action={wsPath(c, `/members/${m.userId}/remove`)} label="Remove" danger />
              ) : null,
          },
        ]}
      />
      {grantable.length > 0 ? (
        <>
          <h2>Invite someone</h2>
          <PostForm c={c} action={wsPath(c, "/members/invite")}>
            <Field label="Email" name="email" type="email" value={typed(c, "email")} required />
            <label>
              Role
              <select name="role">
                {INVITABLE_ROLES.filter((r) => grantable.includes(r as never)).map((r) => (
                  <option value={r} selected={(typed(c, "role") ?? "member") === r}>
                    {r}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit">Send invitation</button>
          </PostForm>
          <h2>Invitations</h2>
          <DataTable
            items={invitations}
            columns={[
              { header: "Email", cell: (i) => i.email },
              { header: "Role", cell: (i) => i.role },
              { header: "Status", cell: (i) => i.status },
              { header: "Expires", cell: (i) => when(i.expiresAt) },
              {
                header: "",
                cell: (i) =>
                  i.status === "pending" ? (
                    <ActionButton c={c} action={wsPath(c, `/invitations/${i.id}/revoke`)} label="Revoke" />
                  ) : null,
              },
            ]}
          />
        </>
      ) : null}
    </>,
  );
}

export const memberPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/members", (c) => membersPage(c))
  .post("/app/w/:workspaceId/members/invite", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const sent = await inviteMember({
          ctx: c.var.ctx,
          input: parseForm(inviteMemberInput, {
            workspaceId: c.req.param("workspaceId"),
            email: form.text("email"),
            role: form.text("role"),
          }),
        });
        const { email, role } = sent.invitation;
        const again = sent.replaces
          ? sent.replaces.role === role
            ? ` The earlier invitation to ${email} no longer works.`
            : ` It replaces the earlier invitation to ${email}: the role changed from ${sent.replaces.role} to ${role}.`
          : "";
        if (!sent.delivered && sent.token) {
          return redirectWithFlash(c, wsPath(c, "/members"), {
            notice: `The email to ${email} could not be sent.${again}`,
            reveal: {
              id: "invite-link",
              title: "Pass this invitation link on yourself; it is shown this once:",
              value: `${c.get("config").PUBLIC_URL.replace(/\/+$/, "")}/invitations/accept?token=${sent.token}`,
            },
          });
        }
        return redirectWithFlash(c, wsPath(c, "/members"), {
          notice: `Invitation sent to ${email} as ${role}.${again}`,
        });
      },
      (error) => membersPage(c, { error }),
    ),
  )
  .post("/app/w/:workspaceId/members/:userId/role", (c) =>
    attempt(
      async () => {
        await changeMemberRole({
          ctx: c.var.ctx,
          input: parseForm(changeRoleInput, {
            workspaceId: c.req.param("workspaceId"),
            userId: c.req.param("userId"),
            role: formOf(c).text("role"),
          }),
        });
        return done(c, wsPath(c, "/members"), "member_changed");
      },
      (error) => membersPage(c, { error }),
    ),
  )
  .post("/app/w/:workspaceId/members/:userId/remove", (c) =>
    attempt(
      async () => {
        await removeMember({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), userId: c.req.param("userId") },
        });
        return done(c, wsPath(c, "/members"), "member_removed");
      },
      (error) => membersPage(c, { error }),
    ),
  )
  .post("/app/w/:workspaceId/invitations/:invitationId/revoke", async (c) => {
    await revokeInvitation({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), invitationId: c.req.param("invitationId") },
    });
    return done(c, wsPath(c, "/members"), "invitation_revoked");
  });
