import { and, eq, gt, isNull } from "drizzle-orm";
import { controlDb } from "../../db/control/client";
import { type EmailTokenPurpose, emailTokens } from "../../db/control/schema";
import { randomToken, sha256Hex } from "../../lib/crypto";
import { ApiError } from "../../lib/errors";
import type { ServiceContext } from "../core/context";

/** Verification links live 24 hours, reset links 1 hour (architecture §3). */
export const EMAIL_TOKEN_TTL_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 3_600_000,
  password_reset: 3_600_000,
};

/**
 * A single-use token: 32 random bytes, hex; only its SHA-256 is stored. Issuing a new token
 * retires the user's earlier unused ones of the same purpose — only the newest email works.
 */
export async function issueEmailToken(
  ctx: ServiceContext,
  user: { id: string; email: string },
  purpose: EmailTokenPurpose,
): Promise<string> {
  const db = controlDb(ctx.config);
  const token = randomToken();
  const now = Date.now();
  await db.batch([
    db
      .update(emailTokens)
      .set({ usedAt: now })
      .where(
        and(eq(emailTokens.userId, user.id), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)),
      ),
    db.insert(emailTokens).values({
      hash: await sha256Hex(token),
      userId: user.id,
      purpose,
      email: user.email,
      createdAt: now,
      expiresAt: now + EMAIL_TOKEN_TTL_MS[purpose],
    }),
  ]);
  return token;
}

/**
 * Checks a token without spending it (to validate the rest of a request first). Unknown, used
 * and expired tokens are told apart only as `invalid_token` vs `token_expired`.
 */
export async function peekEmailToken(
  ctx: ServiceContext,
  token: string,
  purpose: EmailTokenPurpose,
): Promise<{ userId: string; email: string }> {
  const [row] = await controlDb(ctx.config)
    .select()
    .from(emailTokens)
    .where(and(eq(emailTokens.hash, await sha256Hex(token)), eq(emailTokens.purpose, purpose)));
  if (!row || row.usedAt !== null) throw invalidLink();
  if (row.expiresAt <= Date.now())
    throw new ApiError("token_expired", "This link has expired; ask for a new one");
  return { userId: row.userId, email: row.email };
}

const invalidLink = () => new ApiError("invalid_token", "This link is invalid or has already been used");

/**
 * Spends a token: one conditional update, so two requests with the same token cannot both
 * succeed.
 */
export async function consumeEmailToken(
  ctx: ServiceContext,
  token: string,
  purpose: EmailTokenPurpose,
): Promise<{ userId: string; email: string }> {
  const [spent] = await controlDb(ctx.config)
    .update(emailTokens)
    .set({ usedAt: Date.now() })
    .where(
      and(
        eq(emailTokens.hash, await sha256Hex(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, Date.now()),
      ),
    )
    .returning({ userId: emailTokens.userId, email: emailTokens.email });
  if (spent) return spent;
  // Tell an expired token apart from an unknown or used one.
  return peekEmailToken(ctx, token, purpose).then(() => {
    throw invalidLink();
  });
}
