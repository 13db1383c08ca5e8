import { and, eq } from "drizzle-orm";
import { controlDb } from "../../../db/control/client";
import { userIdentities, users } from "../../../db/control/schema";
import { newId } from "../../../lib/ids";
import type { Region } from "../../../lib/tenancy";
import { revokeSquattedAuthority } from "../../authority";
import type { ServiceContext } from "../../core/context";
import { securityEvent } from "../security-log";
import { revokeSessions } from "../sessions";
import { createPersonalWorkspace } from "../signup";
import { canonicalEmail, type UserRow, userByEmail, userById } from "../users";

export interface OidcIdentity {
  provider: string;
  subject: string;
  /** Verified by the provider (checked by the caller). */
  email: string;
  name: string | null;
  region: Region;
}

/**
 * The account an OIDC identity signs in to. Known identities sign in to their account. A new
 * identity whose verified email matches an account is linked to it — and if that account's
 * own address was never verified, its password is removed and its sessions ended: whoever
 * signed up with the address did not prove they own it, the provider's user did (seed 002).
 * Otherwise a new account with its personal workspace is created.
 */
export async function resolveOidcUser(
  ctx: ServiceContext,
  identity: OidcIdentity,
): Promise<{ user: UserRow; created: boolean }> {
  const db = controlDb(ctx.config);
  const now = Date.now();
  const [known] = await db
    .select({ userId: userIdentities.userId })
    .from(userIdentities)
    .where(and(eq(userIdentities.provider, identity.provider), eq(userIdentities.subject, identity.subject)));
  if (known) {
    const user = await userById(ctx, known.userId);
    if (user) {
      await db
        .update(userIdentities)
        .set({ lastLoginAt: now, email: identity.email })
        .where(
          and(eq(userIdentities.provider, identity.provider), eq(userIdentities.subject, identity.subject)),
        );
      return { user, created: false };
    }
  }

  const link = {
    provider: identity.provider,
    subject: identity.subject,
    email: identity.email,
    createdAt: now,
    lastLoginAt: now,
  };
  const existing = await userByEmail(ctx, identity.email);
  if (existing) {
    if (existing.emailVerifiedAt === null) {
      await db.batch([
        db
          .update(users)
          .set({ passwordHash: null, passwordChangedAt: now, emailVerifiedAt: now })
          .where(eq(users.id, existing.id)),
        db
          .insert(userIdentities)
          .values({ ...link, userId: existing.id })
          .onConflictDoNothing(),
      ]);
      await revokeSessions(ctx, existing.id, { all: true });
      // Whatever the unproven signup created may be a squatter's: it goes too (pre-hijacking).
      await revokeSquattedAuthority(ctx, existing.id);
      await securityEvent(ctx, "account.unverified_password_reset", {
        subjectUserId: existing.id,
        details: { provider: identity.provider },
      });
      return { user: { ...existing, passwordHash: null, emailVerifiedAt: now }, created: false };
    }
    await db
      .insert(userIdentities)
      .values({ ...link, userId: existing.id })
      .onConflictDoNothing();
    await securityEvent(ctx, "account.identity_linked", {
      subjectUserId: existing.id,
      details: { provider: identity.provider },
    });
    return { user: existing, created: false };
  }

  const user: UserRow = {
    id: newId("usr"),
    email: canonicalEmail(identity.email),
    name: identity.name,
    passwordHash: null,
    passwordChangedAt: null,
    emailVerifiedAt: now,
    createdAt: now,
    deletedAt: null,
  };
  await db.batch([
    db.insert(users).values(user),
    db.insert(userIdentities).values({ ...link, userId: user.id }),
  ]);
  await createPersonalWorkspace(ctx, user, identity.region, `oidc:${identity.provider}`);
  return { user, created: true };
}
