// A forgotten password: ask for a reset link by email, then choose a new password from it.
import { Hono } from "hono";
import type { AppEnv } from "../../http/env";
import { confirmPasswordReset, requestPasswordReset } from "../../services/auth";
import { attempt, Field, type PageContext, typed } from "../kit";
import { done, ErrorBox, PostForm, render } from "../layout";
import { formOf } from "../session";

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

export const passwordResetPages = new Hono<AppEnv>()
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
  });
