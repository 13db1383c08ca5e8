// The account page: profile, sessions (sign one out, or every other), password change, the
// account's data export, and deleting the account (typed email, password) with its certificate.
import { Hono } from "hono";
import { clearSessionCookies, setSessionCookies } from "../../http/cookies";
import type { AppEnv } from "../../http/env";
import { changePassword, currentSession, listMySessions, revokeMySession } from "../../services/auth";
import { deleteAccount } from "../../services/lifecycle";
import { attempt, DataTable, Field, type PageContext } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf } from "../session";

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

export const accountPages = new Hono<AppEnv>()
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
