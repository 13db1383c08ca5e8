import { Hono } from "hono";
import { z } from "zod";
import { validate } from "../../lib/validate";
import {
  changePassword,
  confirmPasswordReset,
  requestPasswordReset,
  resendVerification,
  verifyEmail,
} from "../../services/auth";
import type { AppEnv } from "../../types";
import { sessionBody, setSessionCookies } from "./cookies";

const email = z.email().max(254);
const password = z.string().max(4096);
/** Email tokens are 32 random bytes, hex. */
const emailToken = z.string().regex(/^[0-9a-f]{64}$/, "must be the token from the email");

/** Email verification, password reset (by email) and password change (signed in). */
export const passwordRoutes = new Hono<AppEnv>()
  .post("/verify-email", validate("json", z.strictObject({ token: emailToken })), async (c) =>
    c.json(await verifyEmail({ ctx: c.var.ctx, input: c.req.valid("json") })),
  )
  .post("/resend-verification", async (c) => c.json(await resendVerification({ ctx: c.var.ctx }), 202))
  .post("/password-reset/request", validate("json", z.strictObject({ email })), async (c) => {
    await requestPasswordReset({ ctx: c.var.ctx, input: c.req.valid("json") });
    // The same answer whether or not the address has an account.
    return c.json({ message: "If an account uses this address, a reset link is on its way" }, 202);
  })
  .post(
    "/password-reset/confirm",
    validate("json", z.strictObject({ token: emailToken, password })),
    async (c) => {
      await confirmPasswordReset({ ctx: c.var.ctx, input: c.req.valid("json") });
      return c.body(null, 204);
    },
  )
  .post(
    "/password",
    validate("json", z.strictObject({ currentPassword: z.string().min(1).max(4096), newPassword: password })),
    async (c) => {
      const session = await changePassword({ ctx: c.var.ctx, input: c.req.valid("json") });
      // The caller keeps working in the same way it signed in: cookies stay cookies.
      const cookies = c.get("authVia") === "cookie";
      if (cookies) setSessionCookies(c, session);
      return c.json({ session: sessionBody(session, cookies) });
    },
  );
