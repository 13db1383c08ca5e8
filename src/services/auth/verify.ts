import { and, eq, isNull, sql } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { users } from "../../db/control/schema";
import { ApiError } from "../../lib/errors";
import { requireUser } from "../core/access";
import { parseInput, type ServiceArgs } from "../core/context";
import { consumeEmailToken } from "./email-tokens";
import { limitAccount, limitIp } from "./limits";
import { verifyEmailInput } from "./schemas";
import { securityEvent } from "./security-log";
import { sendVerification } from "./signup";
import { userById } from "./users";

/** Marks the address verified with a verification token (single use, 24 hours). */
export async function verifyEmail({ ctx, input: raw }: ServiceArgs<{ token: string }>) {
  const input = parseInput(verifyEmailInput, raw);
  await limitIp(ctx, "verify_email");
  const spent = await consumeEmailToken(ctx, input.token, "verify_email");
  const [updated] = await controlDb(ctx.config)
    .update(users)
    // Only the address the token was sent to; an already verified one keeps its date (a stale
    // link clicked after a reset verified the account must not move it: what the account made
    // since then was made by a verified owner).
    .set({ emailVerifiedAt: sql`COALESCE(${users.emailVerifiedAt}, ${Date.now()})` })
    .where(and(eq(users.id, spent.userId), eq(users.email, spent.email), isNull(users.deletedAt)))
    .returning({ id: users.id });
  if (!updated) throw new ApiError("invalid_token", "This link is invalid or has already been used");
  await securityEvent(ctx, "auth.email_verified", { subjectUserId: spent.userId });
  return { emailVerified: true };
}

/** Sends a fresh verification email to the signed-in user (earlier links stop working). */
export async function resendVerification({ ctx }: ServiceArgs) {
  const { userId } = requireUser(ctx);
  await limitIp(ctx, "resend_verification");
  const user = await userById(ctx, userId);
  if (!user) throw new ApiError("unauthorized", "Authentication required");
  if (user.emailVerifiedAt !== null) throw new ApiError("conflict", "This email address is already verified");
  await limitAccount(ctx, user.email, "resend_verification");
  await sendVerification(ctx, user);
  return { sent: true };
}
