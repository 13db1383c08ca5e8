import { z } from "@hono/zod-openapi";
import { setSessionCookies } from "../../http/cookies";
import { json, jsonBody, noContent, operation, router, SECURITY } from "../../http/openapi";
import {
  changePassword,
  changePasswordInput,
  confirmPasswordReset,
  requestPasswordReset,
  resendVerification,
  resetConfirmInput,
  resetRequestInput,
  SessionTokens,
  verifyEmail,
  verifyEmailInput,
} from "../../services/auth";
import { sessionBody } from "./session";

const tags = ["Auth"];

/** Email verification, password reset (by email) and password change (signed in). */
export const passwordRoutes = router()
  .openapi(
    operation({
      operationId: "verifyEmail",
      method: "post",
      path: "/verify-email",
      tags,
      security: SECURITY.none,
      summary: "Verify an email address with the token from the email",
      request: { body: jsonBody(verifyEmailInput) },
      responses: { 200: json(z.object({ emailVerified: z.boolean() }), "Verified") },
    }),
    async (c) => c.json(await verifyEmail({ ctx: c.var.ctx, input: c.req.valid("json") }), 200),
  )
  .openapi(
    operation({
      operationId: "resendVerification",
      method: "post",
      path: "/resend-verification",
      tags,
      security: SECURITY.user,
      summary: "Send a fresh verification email",
      responses: { 202: json(z.object({ sent: z.boolean() }), "Sent") },
      errors: [409],
    }),
    async (c) => c.json(await resendVerification({ ctx: c.var.ctx }), 202),
  )
  .openapi(
    operation({
      operationId: "requestPasswordReset",
      method: "post",
      path: "/password-reset/request",
      tags,
      security: SECURITY.none,
      summary: "Email a password reset link (the same answer for unknown addresses)",
      request: { body: jsonBody(resetRequestInput) },
      responses: { 202: json(z.object({ message: z.string() }), "Accepted") },
    }),
    async (c) => {
      await requestPasswordReset({ ctx: c.var.ctx, input: c.req.valid("json") });
      // The same answer whether or not the address has an account.
      return c.json({ message: "If an account uses this address, a reset link is on its way" }, 202);
    },
  )
  .openapi(
    operation({
      operationId: "confirmPasswordReset",
      method: "post",
      path: "/password-reset/confirm",
      tags,
      security: SECURITY.none,
      summary: "Set a new password with a reset token (signs out every session)",
      request: { body: jsonBody(resetConfirmInput) },
      responses: { 204: noContent("Password set") },
    }),
    async (c) => {
      await confirmPasswordReset({ ctx: c.var.ctx, input: c.req.valid("json") });
      return c.body(null, 204);
    },
  )
  .openapi(
    operation({
      operationId: "changePassword",
      method: "post",
      path: "/password",
      // Its answer is a new session: a credential, which no record may keep.
      idempotency: false,
      tags,
      security: SECURITY.user,
      summary: "Change the password (other sessions are signed out)",
      request: { body: jsonBody(changePasswordInput) },
      responses: { 200: json(z.object({ session: SessionTokens }), "This device's new session") },
    }),
    async (c) => {
      const session = await changePassword({ ctx: c.var.ctx, input: c.req.valid("json") });
      // The caller keeps working in the same way it signed in: cookies stay cookies.
      const cookies = c.get("authVia") === "cookie";
      if (cookies) setSessionCookies(c, session);
      return c.json({ session: sessionBody(session, cookies) }, 200);
    },
  );
