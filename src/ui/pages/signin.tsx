// Signing in and out: the front page, sign up (with a region, or into the workspace of the
// invitation this browser follows), sign in (password and OIDC providers) and sign out.
import { Hono } from "hono";
import {
  clearInvitationCookie,
  clearSessionCookies,
  refreshCookie,
  setSessionCookies,
} from "../../http/cookies";
import type { AppEnv } from "../../http/env";
import { optionalText, parseForm } from "../../http/form";
import { REGIONS } from "../../lib/tenancy";
import { login, logout, oidcProviderIds, returnTo, signup, signupInput } from "../../services/auth";
import { attempt, Field, type PageContext, typed } from "../kit";
import { ActionButton, done, ErrorBox, PostForm, render } from "../layout";
import { formOf, signedIn } from "../session";
import { followedInvitation, InvitationSummary } from "./invitation";

/** Where to go after signing in: a same-site path only (never `//host`), else the dashboard. */
const nextPath = (value: string | undefined) => {
  const parsed = returnTo.safeParse(value);
  return parsed.success && parsed.data !== "/" ? parsed.data : "/app";
};

/** The sign-up form, read by the verb's own schema: a name left empty is no name. */
const signupForm = signupInput.extend({ name: optionalText(signupInput.shape.name) });

/** On a local stack mail goes to the dev outbox; this says where to read it. */
const localOutbox = (c: PageContext) => c.get("config").ISLET_INSECURE_LOCAL;

async function signupPage(c: PageContext, error?: unknown) {
  const invitation = (await followedInvitation(c))?.invitation;
  return render(
    c,
    { title: "Sign up", narrow: true, status: error ? 400 : 200 },
    <>
      <h1>
        {invitation ? `Create your account to join ${invitation.workspaceName}` : "Create your islet account"}
      </h1>
      {invitation ? (
        <>
          <InvitationSummary invitation={invitation} />
          <p>
            <ActionButton
              c={c}
              action="/invitations/forget"
              label={`Not ${invitation.email}? Sign up without this invitation`}
            />
          </p>
        </>
      ) : null}
      <ErrorBox error={error} />
      <PostForm c={c} action="/signup">
        <Field label="Name" name="name" value={typed(c, "name")} autocomplete="name" />
        <Field
          label="Email"
          name="email"
          type="email"
          value={invitation?.email ?? typed(c, "email")}
          required
          autocomplete="email"
          // The invitation is for this address; the server holds it to that too.
          extra={invitation ? { readonly: "" } : {}}
          hint={invitation ? "The invited address: opening the link proved it is yours." : undefined}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          required
          autocomplete="new-password"
          hint="At least 12 characters; checked against known breaches."
        />
        {invitation ? null : (
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
        )}
        <button type="submit">
          {invitation ? `Sign up and join ${invitation.workspaceName}` : "Sign up"}
        </button>
      </PostForm>
      {localOutbox(c) && !invitation ? (
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

async function loginPage(c: PageContext, error?: unknown) {
  const next = c.req.query("next") ?? typed(c, "next");
  const invitation = (await followedInvitation(c))?.invitation;
  const providers = oidcProviderIds(c.var.ctx);
  return render(
    c,
    { title: "Sign in", narrow: true, status: error ? 401 : 200 },
    <>
      <h1>Sign in to islet</h1>
      {invitation ? <InvitationSummary invitation={invitation} /> : null}
      <ErrorBox error={error} />
      <PostForm c={c} action="/login">
        <input type="hidden" name="next" value={next ?? ""} />
        <Field
          label="Email"
          name="email"
          type="email"
          value={typed(c, "email") ?? invitation?.email}
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

export const signInPages = new Hono<AppEnv>()
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
        const followed = await followedInvitation(c);
        const { session, joined } = await signup({
          ctx: c.var.ctx,
          input: parseForm(signupForm, {
            email: form.text("email"),
            password: form.text("password"),
            ...(followed ? { invitationToken: followed.token } : { region: form.text("region") }),
            name: form.text("name"),
          }),
        });
        setSessionCookies(c, session);
        if (joined) {
          clearInvitationCookie(c);
          return done(c, `/app/w/${joined.workspaceId}`, "joined");
        }
        // An invitation whose link did not prove the address waits for the verification email.
        return followed ? done(c, "/invitations/accept", "verification_sent") : done(c, "/app");
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
  });
