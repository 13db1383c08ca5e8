import type { ServiceContext } from "../core/context";
import { mailerFor } from "../mail";

type AuthMail = "verify_email" | "password_reset" | "password_changed";

/**
 * The account emails. Links point at the public URL; the token is in the fragment-free query
 * and also stated on its own line for API clients that post it back themselves.
 */
function compose(ctx: ServiceContext, kind: AuthMail, token?: string): { subject: string; text: string } {
  const base = ctx.config.PUBLIC_URL.replace(/\/+$/, "");
  switch (kind) {
    case "verify_email":
      return {
        subject: "Verify your email for islet",
        text: `Confirm this address by opening:\n${base}/verify-email?token=${token}\n\nVerification token: ${token}\n\nThe link expires in 24 hours. If you did not sign up, ignore this email.\n`,
      };
    case "password_reset":
      return {
        subject: "Reset your islet password",
        text: `Choose a new password by opening:\n${base}/reset-password?token=${token}\n\nReset token: ${token}\n\nThe link expires in 1 hour and works once. If you did not ask for this, ignore this email; your password stays the same.\n`,
      };
    case "password_changed":
      return {
        subject: "Your islet password was changed",
        text: "Your password was just changed and every session was signed out. If this was not you, reset your password now.\n",
      };
  }
}

/**
 * Sends an account email. Delivery problems are logged, not thrown: the account change already
 * happened and the user can ask for another email. The token is never logged.
 */
export async function sendAuthMail(
  ctx: ServiceContext,
  to: string,
  kind: AuthMail,
  token?: string,
): Promise<boolean> {
  try {
    await mailerFor(ctx).send({ to, tag: kind, ...compose(ctx, kind, token) });
    return true;
  } catch (error) {
    ctx.logger.error("account email not delivered", {
      kind,
      error: error instanceof Error ? error.message : String(error),
    });
    return false;
  }
}
