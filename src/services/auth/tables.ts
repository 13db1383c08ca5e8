// Drizzle view of migrations/control/0002_auth.sql (the SQL file is the source of truth).
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
