import { eq } from "drizzle-orm";
import { controlDb } from "../db/control/client";
import { users } from "../db/control/schema";
import { ApiError } from "../lib/errors";
import type { ServiceContext } from "./core/context";

/** 403 `email_unverified` unless the user has verified their email address. */
export async function requireVerifiedEmail(ctx: ServiceContext, userId: string): Promise<void> {
  const [row] = await controlDb(ctx.config)
    .select({ verifiedAt: users.emailVerifiedAt })
    .from(users)
    .where(eq(users.id, userId));
  if (!row || row.verifiedAt === null) {
    throw new ApiError(
      "email_unverified",
      "Verify your email address first: until then an account cannot create keys, issuers, invitations or workspaces",
    );
  }
}

/** The verified-email rule for the acting principal: a user, or the user a key answers to. */
export async function requireVerifiedActor(ctx: ServiceContext): Promise<void> {
  if (ctx.actor.type === "user") await requireVerifiedEmail(ctx, ctx.actor.userId);
  else if (ctx.actor.type === "apiKey") await requireVerifiedEmail(ctx, ctx.actor.createdBy);
}
