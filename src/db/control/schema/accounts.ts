// Drizzle schema of the control database, split by area. Mirrors migrations/control/*.sql (the SQL
// files are the source of truth; test/schema checks the two column by column).
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash"),
  passwordChangedAt: integer("password_changed_at"),
  emailVerifiedAt: integer("email_verified_at"),
  createdAt: integer("created_at").notNull(),
  deletedAt: integer("deleted_at"),
});

export const sessions = sqliteTable("sessions", {
  id: text("id").primaryKey(),
  userId: text("user_id").notNull(),
  refreshHash: text("refresh_hash").notNull().unique(),
  createdAt: integer("created_at").notNull(),
  lastUsedAt: integer("last_used_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  revokedAt: integer("revoked_at"),
  ip: text("ip"),
  userAgent: text("user_agent"),
});

export const refreshTokens = sqliteTable("refresh_tokens", {
  hash: text("hash").primaryKey(),
  sessionId: text("session_id").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  rotatedAt: integer("rotated_at"),
});

export const EMAIL_TOKEN_PURPOSES = ["verify_email", "password_reset"] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

export const emailTokens = sqliteTable("email_tokens", {
  hash: text("hash").primaryKey(),
  userId: text("user_id").notNull(),
  purpose: text("purpose", { enum: EMAIL_TOKEN_PURPOSES }).notNull(),
  email: text("email").notNull(),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
  usedAt: integer("used_at"),
});

export const userIdentities = sqliteTable(
  "user_identities",
  {
    provider: text("provider").notNull(),
    subject: text("subject").notNull(),
    userId: text("user_id").notNull(),
    email: text("email"),
    createdAt: integer("created_at").notNull(),
    lastLoginAt: integer("last_login_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.provider, t.subject] })],
);

export const oidcStates = sqliteTable("oidc_states", {
  stateHash: text("state_hash").primaryKey(),
  provider: text("provider").notNull(),
  returnTo: text("return_to").notNull(),
  region: text("region"),
  createdAt: integer("created_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/** A requested account deletion and its progress (migrations/control/0007_account_deletions.sql). */
export const accountDeletions = sqliteTable("account_deletions", {
  userId: text("user_id").primaryKey(),
  email: text("email").notNull(),
  requestedAt: integer("requested_at").notNull(),
  completedAt: integer("completed_at"),
  attempts: integer("attempts").notNull().default(0),
  lastError: text("last_error"),
  report: text("report").notNull().default("{}"),
});
