// Members and invitations, the vault's secrets (write-only: last four and fingerprint), and
// issuers of end-user tokens.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { INVITABLE_ROLES, ROLES } from "../../lib/tenancy";
import { createIssuer, deleteIssuer, listIssuers } from "../../services/issuers";
import {
  changeMemberRole,
  grantableRoles,
  inviteMember,
  listInvitations,
  listMembers,
  removeMember,
  revokeInvitation,
} from "../../services/members";
import { deleteSecret, listSecrets, setSecret, VAULT_KINDS } from "../../services/secrets";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf, signedIn } from "../session";

async function membersPage(c: PageContext, state: { error?: unknown; invitedToken?: string } = {}) {
  const workspace = await currentWorkspace(c);
  const [members, invitations] = await Promise.all([
    listMembers({ ctx: c.var.ctx, input: { workspaceId: workspace.id } }),
    workspace.role === "admin" || workspace.role === "owner"
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
      {state.invitedToken ? (
        <div class="secret" role="status">
          The email could not be sent. Pass this invitation link on yourself:{" "}
          <code id="invite-link">{`${c.get("config").PUBLIC_URL}/invitations/accept?token=${state.invitedToken}`}</code>{" "}
          <button type="button" class="secondary" data-copy="invite-link" hidden>
            Copy
          </button>
        </div>
      ) : null}
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
                  <option value={r}>{r}</option>
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

async function secretsPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const secrets = await listSecrets({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  return render(
    c,
    { title: "Secrets", workspace: navOf(workspace), section: "secrets", status: error ? 400 : 200 },
    <>
      <h1>Secrets</h1>
      <p class="muted">
        Values are write-only: after saving, only the last four characters and a fingerprint remain visible.
      </p>
      <DataTable
        items={secrets}
        columns={[
          { header: "Name", cell: (s) => <code>{s.name}</code> },
          { header: "Kind", cell: (s) => s.kind },
          { header: "Last four", cell: (s) => <code>…{s.last4}</code> },
          { header: "Fingerprint", cell: (s) => <code>{s.fingerprint}</code> },
          { header: "Set by", cell: (s) => <code>{s.setBy ?? ""}</code> },
          { header: "Updated", cell: (s) => when(s.updatedAt) },
          {
            header: "",
            cell: (s) => (
              <ActionButton c={c} action={wsPath(c, `/secrets/${s.name}/delete`)} label="Delete" danger />
            ),
          },
        ]}
      />
      <h2>Set a secret</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action={wsPath(c, "/secrets")}>
        <Field
          label="Name (UPPER_SNAKE_CASE)"
          name="name"
          value={typed(c, "name")}
          required
          placeholder="STRIPE_KEY"
        />
        <Field label="Value" name="value" type="password" required autocomplete="off" />
        <label>
          Kind
          <select name="kind">
            {VAULT_KINDS.map((k) => (
              <option value={k}>{k}</option>
            ))}
          </select>
        </label>
        <button type="submit">Save secret</button>
      </PostForm>
    </>,
  );
}

async function issuersPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const issuers = await listIssuers({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  return render(
    c,
    { title: "Issuers", workspace: navOf(workspace), section: "issuers", status: error ? 400 : 200 },
    <>
      <h1>Token issuers</h1>
      <p class="muted">
        Your app's own sign-in: tokens from these issuers act as end users of this workspace.
      </p>
      <DataTable
        items={issuers}
        columns={[
          { header: "Name", cell: (i) => i.name },
          { header: "Kind", cell: (i) => i.kind },
          {
            header: "Issuer / audience",
            cell: (i) => (
              <>
                <code>{i.issuer}</code> / <code>{i.audience}</code>
                {i.jwksUrl ? (
                  <>
                    <br />
                    <code>{i.jwksUrl}</code>
                  </>
                ) : null}
              </>
            ),
          },
          {
            header: "Roles",
            cell: (i) => (
              <>
                claim <code>{i.roleClaim}</code>, default {i.defaultRole}
              </>
            ),
          },
          { header: "Tables", cell: (i) => (i.tables ? i.tables.join(", ") : "all") },
          {
            header: "Status",
            cell: (i) => (i.disabledAt ? `disabled: ${i.disabledReason ?? ""}` : "active"),
          },
          {
            header: "",
            cell: (i) => (
              <ActionButton c={c} action={wsPath(c, `/issuers/${i.id}/delete`)} label="Remove" danger />
            ),
          },
        ]}
      />
      <h2>Register an issuer</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action={wsPath(c, "/issuers")}>
        <Field label="Name" name="name" value={typed(c, "name")} required />
        <label>
          Kind
          <select name="kind">
            <option value="hs256">HS256 (shared secret)</option>
            <option value="jwks" selected={typed(c, "kind") === "jwks"}>
              JWKS (public keys at a URL)
            </option>
          </select>
        </label>
        <Field label="Issuer (iss)" name="issuer" value={typed(c, "issuer")} required />
        <Field label="Audience (aud)" name="audience" value={typed(c, "audience")} required />
        <Field label="HS256 secret (32+ characters)" name="secret" type="password" autocomplete="off" />
        <Field label="JWKS URL (https)" name="jwksUrl" value={typed(c, "jwksUrl")} />
        <Field label="Role claim" name="roleClaim" value={typed(c, "roleClaim")} placeholder="role" />
        <label>
          Default role
          <select name="defaultRole">
            <option value="viewer">viewer</option>
            <option value="member">member</option>
          </select>
        </label>
        <Field
          label="Tables (comma-separated; empty: every table)"
          name="tables"
          value={typed(c, "tables")}
        />
        <button type="submit">Register issuer</button>
      </PostForm>
    </>,
  );
}

const list = (text: string | undefined) => (text ? text.split(",").map((t) => t.trim()) : null);

export const teamPages = new Hono<AppEnv>()
  .get("/app/w/:workspaceId/members", (c) => membersPage(c))
  .post("/app/w/:workspaceId/members/invite", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const sent = await inviteMember({
          ctx: c.var.ctx,
          input: {
            workspaceId: c.req.param("workspaceId"),
            email: form.text("email"),
            role: form.text("role") as (typeof INVITABLE_ROLES)[number],
          },
        });
        if (!sent.delivered && sent.token) return membersPage(c, { invitedToken: sent.token });
        return done(c, wsPath(c, "/members"), "invited");
      },
      (error) => membersPage(c, { error }),
    ),
  )
  .post("/app/w/:workspaceId/members/:userId/role", (c) =>
    attempt(
      async () => {
        await changeMemberRole({
          ctx: c.var.ctx,
          input: {
            workspaceId: c.req.param("workspaceId"),
            userId: c.req.param("userId"),
            role: formOf(c).text("role") as (typeof ROLES)[number],
          },
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
  })
  .get("/app/w/:workspaceId/secrets", (c) => secretsPage(c))
  .post("/app/w/:workspaceId/secrets", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        await setSecret({
          ctx: c.var.ctx,
          input: {
            workspaceId: c.req.param("workspaceId"),
            name: form.text("name"),
            value: form.text("value"),
            kind: form.text("kind") as (typeof VAULT_KINDS)[number],
          },
        });
        return done(c, wsPath(c, "/secrets"), "secret_saved");
      },
      (error) => secretsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/secrets/:name/delete", async (c) => {
    await deleteSecret({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), name: c.req.param("name") },
    });
    return done(c, wsPath(c, "/secrets"), "secret_deleted");
  })
  .get("/app/w/:workspaceId/issuers", (c) => issuersPage(c))
  .post("/app/w/:workspaceId/issuers", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const kind = form.text("kind") === "jwks" ? "jwks" : "hs256";
        await createIssuer({
          ctx: c.var.ctx,
          input: {
            workspaceId: c.req.param("workspaceId"),
            name: form.text("name"),
            kind,
            issuer: form.text("issuer"),
            audience: form.text("audience"),
            defaultRole: form.text("defaultRole") === "member" ? "member" : "viewer",
            tables: list(form.optional("tables")),
            ...(kind === "hs256" ? { secret: form.text("secret") } : { jwksUrl: form.text("jwksUrl") }),
            ...(form.optional("roleClaim") ? { roleClaim: form.optional("roleClaim") } : {}),
          },
        });
        return done(c, wsPath(c, "/issuers"), "issuer_saved");
      },
      (error) => issuersPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/issuers/:issuerId/delete", async (c) => {
    await deleteIssuer({
      ctx: c.var.ctx,
      input: { workspaceId: c.req.param("workspaceId"), issuerId: c.req.param("issuerId") },
    });
    return done(c, wsPath(c, "/issuers"), "issuer_deleted");
  });
