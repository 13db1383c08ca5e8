import { and, eq, isNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { users } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { revokeSquattedAuthority } from "../authority";
import { requireUser } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { hashPassword, verifyPassword } from "./argon2-wasm";
import { consumeEmailToken, issueEmailToken, peekEmailToken } from "./email-tokens";
import { sendAuthMail } from "./emails";
import { clearAuthFailures, limitAccount, limitIp, noteAuthFailure } from "./limits";
import { acceptNewPassword, normalizePassword } from "./policy";
import { changePasswordInput, resetConfirmInput, resetRequestInput } from "./schemas";
import { securityEvent } from "./security-log";
import { type IssuedSession, revokeSessions, startSession } from "./sessions";
import { userByEmail, userById } from "./users";

/**
 * Asks for a reset email. The answer never says whether the address has an account; the
 * per-account limit keeps anyone from flooding someone's inbox.
 */
export async function requestPasswordReset({ ctx, input: raw }: ServiceArgs<{ email: string }>) {
  const input = parseInput(resetRequestInput, raw);
  await limitIp(ctx, "reset_request");
  await limitAccount(ctx, input.email, "reset_request");
  const user = await userByEmail(ctx, input.email);
  if (!user) {
    await securityEvent(ctx, "auth.reset_requested", { details: { known: false } });
    return;
  }
  const token = await issueEmailToken(ctx, user, "password_reset");
  await sendAuthMail(ctx, user.email, "password_reset", token);
  await securityEvent(ctx, "auth.reset_requested", { subjectUserId: user.id, details: { known: true } });
}

/**
 * Sets a new password with a reset token (single use, 1 hour) and signs out everywhere. The
 * token proves control of the mailbox, so an unverified address becomes verified.
 */
export async function confirmPasswordReset({
  ctx,
  input: raw,
}: ServiceArgs<{ token: string; password: string }>): Promise<void> {
  const input = parseInput(resetConfirmInput, raw);
  await limitIp(ctx, "reset_confirm");
  const pending = await peekEmailToken(ctx, input.token, "password_reset");
  const user = await userById(ctx, pending.userId);
  // A token mailed to an address the account no longer has is worthless.
  if (!user || user.email.toLowerCase() !== pending.email.toLowerCase()) {
    throw new ApiError("invalid_token", "This link is invalid or has already been used");
  }
  // The new password is checked before the token is spent: a refused password costs no new email.
  const password = await acceptNewPassword(ctx, input.password, user.email);
  const passwordHash = await hashPassword(password);
  await consumeEmailToken(ctx, input.token, "password_reset");
  const now = Date.now();
  await controlDb(ctx.config)
    .update(users)
    .set({ passwordHash, passwordChangedAt: now, emailVerifiedAt: user.emailVerifiedAt ?? now })
    .where(eq(users.id, user.id));
  await revokeSessions(ctx, user.id, { all: true });
  // The address's owner claimed an account someone signed up with unproven: what that signup
  // created may be a squatter's, and goes (pre-hijacking).
  if (user.emailVerifiedAt === null) await revokeSquattedAuthority(ctx, user.id);
  await clearAuthFailures(ctx, user.email);
  await securityEvent(ctx, "auth.password_reset", { subjectUserId: user.id });
  await sendAuthMail(ctx, user.email, "password_changed");
}

/**
 * Changes the signed-in user's password after checking the current one, signs out every
 * session ("sign out everywhere") and starts a fresh one for the caller.
 */
export async function changePassword({
  ctx,
  input: raw,
}: ServiceArgs<{ currentPassword: string; newPassword: string }>): Promise<IssuedSession> {
  const input = parseInput(changePasswordInput, raw);
  const { userId } = requireUser(ctx);
  await limitIp(ctx, "password_change");
  const user = await userById(ctx, userId);
  if (!user) throw new ApiError("unauthorized", "Authentication required");
  await limitAccount(ctx, user.email, "password_change");
  if (!user.passwordHash) {
    throw new ApiError("invalid_request", "This account has no password; use password reset to set one");
  }
  const check = await verifyPassword(normalizePassword(input.currentPassword), user.passwordHash);
  if (!check.ok) {
    await noteAuthFailure(ctx, user.email);
    await securityEvent(ctx, "auth.password_change_failed", { subjectUserId: user.id });
    throw new ApiError("unauthorized", "The current password is incorrect", {
      details: { field: "currentPassword" },
    });
  }
  const password = await acceptNewPassword(ctx, input.newPassword, user.email);
  const [changed] = await controlDb(ctx.config)
    .update(users)
    .set({ passwordHash: await hashPassword(password), passwordChangedAt: Date.now() })
    .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash), isNull(users.deletedAt)))
    .returning({ id: users.id });
  if (!changed) throw new ApiError("conflict", "The password changed meanwhile; try again");
  await revokeSessions(ctx, user.id, { all: true });
  const session = await startSession(ctx, user.id);
  await securityEvent(ctx, "auth.password_change", {
    subjectUserId: user.id,
    details: { sessionId: session.sessionId },
  });
  await sendAuthMail(ctx, user.email, "password_changed");
  return session;
}
