import { and, eq, inArray, isNull } from "drizzle-orm";
import type { z } from "zod";
import { controlDb } from "../../db/control/client";
import {
  emailTokens,
  memberships,
  refreshTokens,
  sessions,
  userIdentities,
  users,
  workspaces,
} from "../../db/control/schema";
import type { ServiceContext } from "../core/context";
import type { User } from "./schemas";

export type UserRow = typeof users.$inferSelect;

/** What a client sees of an account: never its password hash. */
export type UserView = z.infer<typeof User>;

export const userView = (row: UserRow): UserView => ({
  id: row.id,
  email: row.email,
  name: row.name,
  emailVerified: row.emailVerifiedAt !== null,
  hasPassword: row.passwordHash !== null,
  createdAt: row.createdAt,
});

/** Emails are compared case-insensitively (the column is NOCASE) and stored trimmed. */
export const canonicalEmail = (email: string) => email.trim();

export async function userByEmail(ctx: ServiceContext, email: string): Promise<UserRow | undefined> {
  const [row] = await controlDb(ctx.config)
    .select()
    .from(users)
    .where(and(eq(users.email, canonicalEmail(email)), isNull(users.deletedAt)));
  return row;
}

export async function userById(ctx: ServiceContext, id: string): Promise<UserRow | undefined> {
  const [row] = await controlDb(ctx.config)
    .select()
    .from(users)
    .where(and(eq(users.id, id), isNull(users.deletedAt)));
  return row;
}

/** The user's personal workspace (the first one they own), if any. */
export async function personalWorkspace(ctx: ServiceContext, userId: string) {
  const db = controlDb(ctx.config);
  const [row] = await db
    .select({ id: workspaces.id, slug: workspaces.slug, name: workspaces.name, region: workspaces.region })
    .from(memberships)
    .innerJoin(workspaces, eq(workspaces.id, memberships.workspaceId))
    .where(
      and(eq(memberships.userId, userId), eq(memberships.role, "owner"), eq(workspaces.createdBy, userId)),
    )
    .orderBy(workspaces.createdAt)
    .limit(1);
  return row;
}

/** Removes a user that never got going (signup compensation): the row and anything hanging off it. */
export async function deleteUnfinishedUser(ctx: ServiceContext, userId: string): Promise<void> {
  const db = controlDb(ctx.config);
  const owned = db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId));
  await db.batch([
    db.delete(refreshTokens).where(inArray(refreshTokens.sessionId, owned)),
    db.delete(sessions).where(eq(sessions.userId, userId)),
    db.delete(emailTokens).where(eq(emailTokens.userId, userId)),
    db.delete(userIdentities).where(eq(userIdentities.userId, userId)),
    db.delete(memberships).where(eq(memberships.userId, userId)),
    // A workspace row its compensation could not remove stays for `islet tenants gc`, ownerless.
    db.update(workspaces).set({ createdBy: null }).where(eq(workspaces.createdBy, userId)),
    db.delete(users).where(eq(users.id, userId)),
  ]);
}
