// Workspaces (list, create, demo data), a workspace's settings (rename, transfer, leave, delete
// with the typed slug) and the account page (profile, sessions, sign out everywhere, password).
import { Hono } from "hono";
import { clearSessionCookies, setSessionCookies } from "../../http/cookies";
import type { AppEnv } from "../../http/env";
import { REGIONS } from "../../lib/tenancy";
import { changePassword, currentSession, listMySessions, revokeMySession } from "../../services/auth";
import { createDemoWorkspace } from "../../services/demo";
import { deleteAccount } from "../../services/lifecycle";
import { leaveWorkspace, listMembers } from "../../services/members";
import {
  createWorkspace,
  deleteWorkspace,
  listWorkspaces,
  renameWorkspace,
  transferWorkspace,
} from "../../services/workspaces";
import { attempt, currentWorkspace, DataTable, Field, navOf, type PageContext, typed, wsPath } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

async function workspacesPage(c: PageContext, error?: unknown) {
  const [workspaces, me] = await Promise.all([
    listWorkspaces({ ctx: c.var.ctx }),
    currentSession({ ctx: c.var.ctx }),
  ]);
  return render(
    c,
    { title: "Workspaces", status: error ? 400 : 200 },
    <>
      <h1>Your workspaces</h1>
      {me.user.emailVerified ? null : (
        <div class="notice" role="status">
          Verify your email address ({me.user.email}) to create keys, invite people and more.{" "}
          <ActionButton c={c} action="/verify-email/resend" label="Send the link again" />
        </div>
      )}
      <DataTable
        items={workspaces}
        columns={[
          { header: "Name", cell: (w) => <a href={`/app/w/${w.id}`}>{w.name}</a> },
          { header: "Slug", cell: (w) => <code>{w.slug}</code> },
          { header: "Region", cell: (w) => w.region },
          { header: "Plan", cell: (w) => w.plan },
          { header: "Role", cell: (w) => w.role },
        ]}
      />
      <h2>Create a workspace</h2>
      <ErrorBox error={error} />
      <PostForm c={c} action="/app/workspaces">
        <Field label="Name" name="name" value={typed(c, "name")} required />
        <label>
          Region
          <select name="region">
            {REGIONS.map((r) => (
              <option value={r}>{r}</option>
            ))}
          </select>
        </label>
        <button type="submit">Create workspace</button>
      </PostForm>
      <h2>Demo data</h2>
      <p class="muted">
        Creates a separate “Demo” workspace with sample tables to try things on. Your own workspaces are left
        alone.
      </p>
      <ActionButton c={c} action="/app/demo" label="Create demo workspace" />
    </>,
  );
}

async function settingsPage(c: PageContext, error?: unknown) {
  const workspace = await currentWorkspace(c);
  const members = await listMembers({ ctx: c.var.ctx, input: { workspaceId: workspace.id } });
  const owner = workspace.role === "owner";
  return render(
    c,
    { title: "Settings", workspace: navOf(workspace), section: "settings", status: error ? 400 : 200 },
    <>
      <h1>Settings</h1>
      <ErrorBox error={error} />
      <p class="muted">
        {workspace.slug} · {workspace.region} · plan {workspace.plan} · created {when(workspace.createdAt)}
      </p>
      <h2>Rename</h2>
      <PostForm c={c} action={wsPath(c, "/settings/rename")}>
        <Field label="Name" name="name" value={workspace.name} required />
        <button type="submit">Rename</button>
      </PostForm>
      {owner ? (
        <>
          <h2>Transfer ownership</h2>
          <PostForm c={c} action={wsPath(c, "/settings/transfer")}>
            <label>
              New owner
              <select name="userId">
                {members
                  .filter((m) => m.role !== "owner")
                  .map((m) => (
                    <option value={m.userId}>{`${m.email} (${m.role})`}</option>
                  ))}
              </select>
            </label>
            <button type="submit" class="secondary">
              Transfer
            </button>
          </PostForm>
          <h2>Delete this workspace</h2>
          <p>Its database and everything in it are destroyed. Type the slug to confirm.</p>
          <PostForm c={c} action={wsPath(c, "/settings/delete")}>
            <Field
              label={`Type ${workspace.slug}`}
              name="confirm"
              required
              extra={{ "data-must-equal": workspace.slug }}
            />
            <button type="submit" class="danger">
              Delete workspace
            </button>
          </PostForm>
        </>
      ) : (
        <>
          <h2>Leave</h2>
          <ActionButton c={c} action={wsPath(c, "/settings/leave")} label="Leave this workspace" danger />
        </>
      )}
    </>,
  );
}

async function accountPage(c: PageContext, error?: unknown) {
  const [me, sessions] = await Promise.all([
    currentSession({ ctx: c.var.ctx }),
    listMySessions({ ctx: c.var.ctx }),
  ]);
  return render(
    c,
    { title: "Account", status: error ? 400 : 200 },
    <>
      <h1>Account</h1>
      <ErrorBox error={error} />
      <p>
        {me.user.name ?? "(no name)"} · {me.user.email} ·{" "}
        {me.user.emailVerified ? "verified" : "not verified yet"} · since {when(me.user.createdAt)}
      </p>
      <h2>Sessions</h2>
      <DataTable
        items={sessions}
        columns={[
          { header: "Started", cell: (s) => when(s.createdAt) },
          { header: "Last used", cell: (s) => when(s.lastUsedAt) },
          { header: "IP", cell: (s) => s.ip ?? "—" },
          { header: "Browser", cell: (s) => s.userAgent ?? "—" },
          {
            header: "",
            cell: (s) =>
              s.current ? (
                "this session"
              ) : (
                <ActionButton c={c} action={`/app/account/sessions/${s.id}/revoke`} label="Sign out" />
              ),
          },
        ]}
      />
      <ActionButton
        c={c}
        action="/app/account/sessions/revoke-others"
        label="Sign out everywhere else"
        danger
      />
      {me.user.hasPassword ? (
        <>
          <h2>Change password</h2>
          <PostForm c={c} action="/app/account/password">
            <Field
              label="Current password"
              name="currentPassword"
              type="password"
              required
              autocomplete="current-password"
            />
            <Field
              label="New password"
              name="newPassword"
              type="password"
              required
              autocomplete="new-password"
            />
            <button type="submit">Change password</button>
          </PostForm>
        </>
      ) : null}
      <h2>Your data</h2>
      <p>
        <a href="/v1/account/export" download="islet-account.json">
          Download everything tied to your account (JSON)
        </a>
      </p>
      <h2>Delete your account</h2>
      <p>
        Workspaces only you own are deleted with their databases; workspaces you share with another owner are
        left to them. Your keys and sessions end now. You get a signed deletion certificate.
      </p>
      <PostForm c={c} action="/app/account/delete">
        <Field
          label={`Type your email (${me.user.email}) to confirm`}
          name="confirm"
          required
          autocomplete="off"
          extra={{ "data-must-equal": me.user.email }}
        />
        {me.user.hasPassword ? (
          <Field label="Password" name="password" type="password" required autocomplete="current-password" />
        ) : (
          <p class="muted">Your account has no password: a sign-in in the last 10 minutes is needed.</p>
        )}
        <button type="submit" class="danger">
          Delete my account
        </button>
      </PostForm>
    </>,
  );
}

export const workspacePages = new Hono<AppEnv>()
  .get("/app", (c) => workspacesPage(c))
  .post("/app/workspaces", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const { workspace } = await createWorkspace({
          ctx: c.var.ctx,
          input: { name: form.text("name"), region: form.text("region") as (typeof REGIONS)[number] },
        });
        return done(c, `/app/w/${workspace.id}`, "workspace_created");
      },
      (error) => workspacesPage(c, error),
    ),
  )
  .post("/app/demo", (c) =>
    attempt(
      async () => {
        const workspace = await createDemoWorkspace({ ctx: c.var.ctx });
        return done(c, `/app/w/${workspace.id}`, "demo_created");
      },
      (error) => workspacesPage(c, error),
    ),
  )
  .get("/app/w/:workspaceId/settings", (c) => settingsPage(c))
  .post("/app/w/:workspaceId/settings/rename", (c) =>
    attempt(
      async () => {
        await renameWorkspace({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), name: formOf(c).text("name") },
        });
        return done(c, wsPath(c, "/settings"), "workspace_renamed");
      },
      (error) => settingsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/settings/transfer", (c) =>
    attempt(
      async () => {
        await transferWorkspace({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), userId: formOf(c).text("userId") },
        });
        return done(c, wsPath(c, "/settings"), "workspace_transferred");
      },
      (error) => settingsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/settings/delete", (c) =>
    attempt(
      async () => {
        await deleteWorkspace({
          ctx: c.var.ctx,
          input: { workspaceId: c.req.param("workspaceId"), confirm: formOf(c).text("confirm") },
        });
        return done(c, "/app", "workspace_deleted");
      },
      (error) => settingsPage(c, error),
    ),
  )
  .post("/app/w/:workspaceId/settings/leave", (c) =>
    attempt(
      async () => {
        await leaveWorkspace({ ctx: c.var.ctx, input: { workspaceId: c.req.param("workspaceId") } });
        return done(c, "/app", "left");
      },
      (error) => settingsPage(c, error),
    ),
  )
  .get("/app/account", (c) => accountPage(c))
  .post("/app/account/sessions/:sessionId/revoke", async (c) => {
    await revokeMySession({ ctx: c.var.ctx, input: { sessionId: c.req.param("sessionId") } });
    return done(c, "/app/account", "session_revoked");
  })
  .post("/app/account/sessions/revoke-others", async (c) => {
    const sessions = await listMySessions({ ctx: c.var.ctx });
    for (const s of sessions.filter((s) => !s.current)) {
      await revokeMySession({ ctx: c.var.ctx, input: { sessionId: s.id } });
    }
    return done(c, "/app/account", "sessions_revoked");
  })
  .post("/app/account/delete", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const deleted = await deleteAccount({
          ctx: c.var.ctx,
          input: {
            confirm: form.text("confirm"),
            ...(form.optional("password") ? { password: form.text("password") } : {}),
          },
        });
        clearSessionCookies(c);
        c.set("actor", { type: "anonymous" });
        return render(
          c,
          { title: "Account deleted", narrow: true },
          <>
            <h1>Your account is deleted</h1>
            <p>
              {deleted.report.workspacesDeleted.length} workspace(s) deleted,{" "}
              {deleted.report.workspacesLeft.length} left to their other owners. Your deletion certificate
              (also emailed to you) — check it against <a href="/.well-known/jwks.json">our published keys</a>{" "}
              or with <code>POST /v1/certificates/verify</code>:
            </p>
            <pre class="out" id="certificate">
              {deleted.certificate}
            </pre>
            <button type="button" class="secondary" data-copy="certificate" hidden>
              Copy
            </button>
          </>,
        );
      },
      (error) => accountPage(c, error),
    ),
  )
  .post("/app/account/password", (c) =>
    attempt(
      async () => {
        const form = formOf(c);
        const session = await changePassword({
          ctx: c.var.ctx,
          input: { currentPassword: form.text("currentPassword"), newPassword: form.text("newPassword") },
        });
        setSessionCookies(c, session);
        return done(c, "/app/account", "password_changed");
      },
      (error) => accountPage(c, error),
    ),
  );
