// Sign-in flows: sign up (with a region), sign in (password and OIDC providers), sign out,
// the links the emails carry (verify email, reset password, accept an invitation), and the
// local outbox those emails land in on a development stack.
import { Hono } from "hono";
import { clearSessionCookies, refreshCookie, setSessionCookies } from "../../http/cookies";
import type { AppEnv } from "../../http/env";
import { REGIONS } from "../../lib/tenancy";
import {
  confirmPasswordReset,
  login,
  logout,
  oidcProviderIds,
  requestPasswordReset,
  resendVerification,
  returnTo,
  signup,
  verifyEmail,
} from "../../services/auth";
import { readOutbox } from "../../services/mail";
import { acceptInvitation } from "../../services/members";
import { attempt, Field, type PageContext, typed } from "../kit";
import { done, ErrorBox, PostForm, render, when } from "../layout";
import { formOf, signedIn } from "../session";

/** Where to go after signing in: a same-site path only (never `//host`), else the dashboard. */
const nextPath = (value: string | undefined) => {
  const parsed = returnTo.safeParse(value);
  return parsed.success && parsed.data !== "/" ? parsed.data : "/app";
};

/** On a local stack mail goes to the dev outbox; this says where to read it. */
const localOutbox = (c: PageContext) => c.get("config").ISLET_INSECURE_LOCAL;

function signupPage(c: PageContext, error?: unknown) {
  return render(
    c,
    { title: "Sign up", narrow: true, status: error ? 400 : 200 },
    <>
      <h1>Create your islet account</h1>
      <ErrorBox error={error} />
      <PostForm c={c} action="/signup">
        <Field label="Name" name="name" value={typed(c, "name")} autocomplete="name" />
        <Field
          label="Email"
          name="email"
          type="email"
          value={typed(c, "email")}
          required
          autocomplete="email"
        />
        <Field
          label="Password"
          name="password"
          type="password"
          required
          autocomplete="new-password"
          hint="At least 12 characters; checked against known breaches."
        />
        <label>
          Region for your workspace's database
          <select name="region">
            {REGIONS.map((r) => (
              <option value={r} selected={typed(c, "region") === r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Sign up</button>
      </PostForm>
      {localOutbox(c) ? (
        <p class="muted">
          This is a local stack: the verification email is not sent anywhere. Read it in the{" "}
          <a href="/dev/outbox">dev outbox</a>.
        </p>
      ) : null}
      <p>
        Already have an account? <a href="/login">Sign in</a>
      </p>
    </>,
  );
}

function loginPage(c: PageContext, error?: unknown) {
  const next = c.req.query("next") ?? typed(c, "next");
  const providers = oidcProviderIds(c.var.ctx);
  return render(
    c,
    { title: "Sign in", narrow: true, status: error ? 401 : 200 },
    <>
      <h1>Sign in to islet</h1>
      <ErrorBox error={error} />
      <PostForm c={c} action="/login">
        <input type="hidden" name="next" value={next ?? ""} />
        <Field
          label="Email"
          name="email"
          type="email"
          value={typed(c, "email")}
          required
          autocomplete="email"
        />
        <Field label="Password" name="password" type="password" required autocomplete="current-password" />
        <button type="submit">Sign in</button>
      </PostForm>
      {providers.length > 0 ? (
        <p>
          {providers.map((id) => (
            <a
              class="button"
              href={`/v1/auth/oidc/${id}/start?returnTo=${encodeURIComponent(nextPath(next))}`}
            >{`Continue with ${id}`}</a>
          ))}
        </p>
      ) : null}
      <p>
        <a href="/forgot-password">Forgot your password?</a> · <a href="/signup">Create an account</a>
      </p>
    </>,
  );
}

export const authPages = new Hono<AppEnv>()
  .get("/", (c) =>
    signedIn(c)
      ? c.redirect("/app", 303)
      : render(
          c,
          { title: "Welcome", narrow: true },
          <>
            <h1>islet</h1>
            <p>A backend per workspace: its own database, keys, functions and an audit log you can verify.</p>
            <p>
              <a href="/signup">Create an account</a> · <a href="/login">Sign in</a> ·{" "}
              <a href="/docs">API reference</a>
            </p>
          </>,
        ),
  )
  .get("/signup", (c) => (signedIn(c) ? c.redirect("/app", 303) : signupPage(c)))
  .post("/signup", (c) => {
    const form = formOf(c);
    return attempt(
      async () => {
        const { session } = await signup({
          ctx: c.var.ctx,
          input: {
            email: form.text("email"),
            password: form.text("password"),
            region: form.text("region") as (typeof REGIONS)[number],
            ...(form.optional("name") ? { name: form.optional("name") } : {}),
          },
        });
        setSessionCookies(c, session);
        return done(c, "/app");
      },
      (error) => signupPage(c, error),
    );
  })
  .get("/login", (c) => (signedIn(c) ? c.redirect(nextPath(c.req.query("next")), 303) : loginPage(c)))
  .post("/login", (c) => {
    const form = formOf(c);
    return attempt(
      async () => {
        const { session } = await login({
          ctx: c.var.ctx,
          input: { email: form.text("email"), password: form.text("password") },
        });
        setSessionCookies(c, session);
        return c.redirect(nextPath(form.optional("next")), 303);
      },
      (error) => loginPage(c, error),
    );
  })
  .post("/logout", async (c) => {
    await logout({ ctx: c.var.ctx, input: { refreshToken: refreshCookie(c) } });
    clearSessionCookies(c);
    return done(c, "/login", "signed_out");
  })
  .get("/verify-email", (c) =>
    // A button, not an action on GET: mail scanners that open links must not verify for you.
    render(
      c,
      { title: "Verify your email", narrow: true },
      <>
        <h1>Verify your email address</h1>
        <PostForm c={c} action="/verify-email">
          <input type="hidden" name="token" value={c.req.query("token") ?? ""} />
          <button type="submit">Verify my email</button>
        </PostForm>
      </>,
    ),
  )
  .post("/verify-email", (c) =>
    attempt(
      async () => {
        await verifyEmail({ ctx: c.var.ctx, input: { token: formOf(c).text("token") } });
        return done(c, signedIn(c) ? "/app" : "/login", "verified");
      },
      (error) =>
        render(
          c,
          { title: "Verify your email", narrow: true, status: 400 },
          <>
            <h1>That link did not work</h1>
            <ErrorBox error={error} />
            <p>Links expire; sign in and ask for a new one from your account page.</p>
          </>,
        ),
    ),
  )
  .post("/verify-email/resend", async (c) => {
    await resendVerification({ ctx: c.var.ctx });
    return done(c, "/app/account", "verification_sent");
  })
  .get("/forgot-password", (c) =>
    render(
      c,
      { title: "Forgot password", narrow: true },
      <>
        <h1>Reset your password</h1>
        <PostForm c={c} action="/forgot-password">
          <Field label="Email" name="email" type="email" required autocomplete="email" />
          <button type="submit">Send a reset link</button>
        </PostForm>
      </>,
    ),
  )
  .post("/forgot-password", async (c) => {
    await requestPasswordReset({ ctx: c.var.ctx, input: { email: formOf(c).text("email") } });
    return done(c, "/login", "reset_sent");
  })
  .get("/reset-password", (c) => resetPage(c))
  .post("/reset-password", (c) => {
    const form = formOf(c);
    return attempt(
      async () => {
        await confirmPasswordReset({
          ctx: c.var.ctx,
          input: { token: form.text("token"), password: form.text("password") },
        });
        return done(c, "/login", "password_reset");
      },
      (error) => resetPage(c, error),
    );
  })
  .get("/invitations/accept", (c) => invitationPage(c))
  .post("/invitations/accept", (c) =>
    attempt(
      async () => {
        const { workspaceId } = await acceptInvitation({
          ctx: c.var.ctx,
          input: { token: formOf(c).text("token") },
        });
        return done(c, `/app/w/${workspaceId}`, "joined");
      },
      (error) => invitationPage(c, error),
    ),
  )
  .get("/dev/outbox", async (c) => {
    const to = c.req.query("to");
    const messages = to ? await readOutbox({ ctx: c.var.ctx, input: { to } }) : [];
    // Reached only on a local stack: readOutbox answers 404 anywhere else.
    if (!to) await readOutbox({ ctx: c.var.ctx, input: { to: "probe@localhost.invalid" } });
    return render(
      c,
      { title: "Dev outbox" },
      <>
        <h1>Dev outbox</h1>
        <p class="muted">Local stacks only: the mail islet would have sent.</p>
        <form method="get" action="/dev/outbox" class="stack">
          <Field label="Address" name="to" type="email" value={to} required />
          <button type="submit">Show mail</button>
        </form>
        {messages.map((m) => (
          <article>
            <h2>{m.subject}</h2>
            <p class="muted">
              {when(m.ts)} · to {m.to}
            </p>
            <pre class="out">{m.text}</pre>
            {linksIn(c, m.text).map((href) => (
              <p>
                <a href={href}>{href}</a>
              </p>
            ))}
          </article>
        ))}
      </>,
    );
  });

/** Links in a mail that point at this deployment: the only ones the outbox makes clickable. */
function linksIn(c: PageContext, text: string): string[] {
  const origin = new URL(c.get("config").PUBLIC_URL).origin;
  return [...text.matchAll(/https?:\/\/[^\s<>"']+/g)]
    .map(([url]) => url)
    .filter((url) => {
      try {
        return new URL(url).origin === origin;
      } catch {
        return false;
      }
    });
}

function resetPage(c: PageContext, error?: unknown) {
  return render(
    c,
    { title: "Choose a new password", narrow: true, status: error ? 400 : 200 },
    <>
      <h1>Choose a new password</h1>
      <ErrorBox error={error} />
      <PostForm c={c} action="/reset-password">
        <input type="hidden" name="token" value={c.req.query("token") ?? typed(c, "token") ?? ""} />
        <Field label="New password" name="password" type="password" required autocomplete="new-password" />
        <button type="submit">Set password</button>
      </PostForm>
    </>,
  );
}

function invitationPage(c: PageContext, error?: unknown) {
  const token = c.req.query("token") ?? typed(c, "token") ?? "";
  const here = `/invitations/accept?token=${encodeURIComponent(token)}`;
  return render(
    c,
    { title: "Invitation", narrow: true, status: error ? 400 : 200 },
    <>
      <h1>You are invited to a workspace</h1>
      <ErrorBox error={error} />
      {signedIn(c) ? (
        <PostForm c={c} action="/invitations/accept">
          <input type="hidden" name="token" value={token} />
          <button type="submit">Accept the invitation</button>
        </PostForm>
      ) : (
        <p>
          <a href={`/login?next=${encodeURIComponent(here)}`}>Sign in</a> or{" "}
          <a href="/signup">create an account</a> with the invited address, then open the link again.
        </p>
      )}
    </>,
  );
}
