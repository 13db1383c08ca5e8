// Email verification: the link in the email opens a page with a button (mail scanners that open
// links must not verify for you); a signed-in person can ask for the link again.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { resendVerification, verifyEmail } from "../../services/auth";
import { attempt } from "../kit";
import { done, ErrorBox, PostForm, render } from "../layout";
import { formOf, signedIn } from "../session";

export const verifyEmailPages = new Hono<AppEnv>()
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
  });
