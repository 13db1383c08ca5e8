import { and, eq } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { users } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { parseInput, type ServiceArgs } from "../core/context";
import { DUMMY_HASH, hashPassword, verifyPassword } from "./argon2-wasm";
import { clearAuthFailures, limitAccount, limitIp, noteAuthFailure } from "./limits";
import { normalizePassword } from "./policy";
import { loginInput } from "./schemas";
import { securityEvent } from "./security-log";
import { type IssuedSession, startSession } from "./sessions";
import { type UserView, userByEmail, userView } from "./users";

/** The one answer to every failed login: unknown email, no password, wrong password. */
export const INVALID_CREDENTIALS = "Email or password is incorrect";

export interface LoggedIn {
  user: UserView;
  session: IssuedSession;
}

/**
 * Password sign-in. Unknown emails and password-less (OIDC-only) accounts verify against a
 * dummy hash so every failure costs one Argon2id run and answers the same body (architecture §3).
 * Failures count toward the account's backoff and are written to the security log; a success
 * resets the counter and upgrades a hash stored under older parameters.
 */
export async function login({
  ctx,
  input: raw,
}: ServiceArgs<{ email: string; password: string }>): Promise<LoggedIn> {
  const input = parseInput(loginInput, raw);
  await limitIp(ctx, "login");
  await limitAccount(ctx, input.email, "login");
  const user = await userByEmail(ctx, input.email);
  const password = normalizePassword(input.password);
  const check = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!user?.passwordHash || !check.ok) {
    await noteAuthFailure(ctx, input.email);
    await securityEvent(ctx, "auth.login_failed", {
      subjectUserId: user?.id,
      details: { reason: !user ? "unknown_email" : user.passwordHash ? "wrong_password" : "no_password" },
    });
    throw new ApiError("unauthorized", INVALID_CREDENTIALS);
  }
  await clearAuthFailures(ctx, input.email);
  if (check.needsRehash) {
    // Login rehash: the only moment the plaintext is at hand to move to today's parameters.
    await controlDb(ctx.config)
      .update(users)
      .set({ passwordHash: await hashPassword(password) })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash)));
  }
  const session = await startSession(ctx, user.id, { passwordChangedAt: user.passwordChangedAt });
  await securityEvent(ctx, "auth.login", {
    subjectUserId: user.id,
    details: { sessionId: session.sessionId },
  });
  return { user: userView(user), session };
}
